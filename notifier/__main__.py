"""``python -m notifier``: deliver notifications for allocator events."""

import asyncio

from notifier.app import run_notifier
from notifier.settings import NotifierSettings
from shared.lifecycle import configure_logging, run_service
from shared.metrics import serve_metrics
from shared.readiness import Readiness
from shared.startup import explained


def main() -> None:
    with explained("opd notifier"):
        settings = NotifierSettings()
        configure_logging(settings.log_level, "notifier")
        readiness = Readiness("database", "broker")
        serve_metrics(settings.metrics_port, readiness=readiness)

        async def serve(stop: asyncio.Event) -> None:
            await run_notifier(settings, stop, readiness=readiness)

        run_service(serve)


if __name__ == "__main__":
    main()
