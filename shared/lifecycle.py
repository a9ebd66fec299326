"""Running a service process: logging, a stop event set by SIGTERM/SIGINT, uvloop when available."""

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable

import orjson

from shared import log_context

# Attributes every LogRecord has; anything else on a record came from ``extra=`` and is logged as a field.
_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: easy to ship, easy to grep.

    Carries the service and every field given with ``extra=`` or stamped on the record: the request, command
    and correlation ids of the context it was logged in (``log_context.stamp_records``).
    """

    def __init__(self, service: str | None = None) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if self.service:
            entry["service"] = self.service
        entry.update((key, value) for key, value in vars(record).items() if key not in _STANDARD_ATTRIBUTES)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def configure_logging(level: str, service: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    log_context.stamp_records()
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
    logging.getLogger("aiormq.connection").setLevel(logging.CRITICAL)  # our own line names the setting instead
    logging.getLogger(service).info("starting %s", service)


def install_stop_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)


def run_service(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """``asyncio.run`` the service's main until a stop signal lets it drain and return."""

    async def entry() -> None:
        stop = asyncio.Event()
        install_stop_signals(stop)
        await main(stop)

    try:
        import uvloop
    except ImportError:
        asyncio.run(entry())
    else:
        uvloop.run(entry())


async def sleep_unless(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake at once when the service is asked to stop."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
