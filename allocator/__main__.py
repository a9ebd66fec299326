"""``python -m allocator``: run the single writer for the configured shards."""

import asyncio

from allocator.app import run_allocator
from allocator.settings import AllocatorSettings
from shared.lifecycle import configure_logging, run_service
from shared.metrics import serve_metrics
from shared.readiness import Readiness
from shared.startup import explained


def main() -> None:
    with explained("opd allocator"):
        settings = AllocatorSettings()
        configure_logging(settings.log_level, "allocator")
        readiness = Readiness("database", "broker")
        serve_metrics(settings.metrics_port, readiness=readiness)

        async def serve(stop: asyncio.Event) -> None:
            await run_allocator(settings, stop, readiness=readiness)

        run_service(serve)


if __name__ == "__main__":
    main()
