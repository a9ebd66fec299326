"""Pure allocation domain: state in, decision and events out. No I/O, no asyncio."""
