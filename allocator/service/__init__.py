"""The allocator's service layer: batches of commands as units of work."""
