"""``python -m allocator``: run the single writer for the configured shards."""

import asyncio

from allocator.app import run_allocator
from allocator.settings import AllocatorSettings
from shared.lifecycle import configure_logging, run_service
from shared.metrics import serve_metrics


def main() -> None:
    settings = AllocatorSettings()
    configure_logging(settings.log_level, "allocator")
    serve_metrics(settings.metrics_port)

    async def serve(stop: asyncio.Event) -> None:
        await run_allocator(settings, stop)

    run_service(serve)


if __name__ == "__main__":
    main()
