"""Running a service process: logging, a stop event set by SIGTERM/SIGINT, uvloop when available."""

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime

from pythonjsonlogger.orjson import OrjsonFormatter

from shared import log_context


class JsonFormatter(OrjsonFormatter):
    """One JSON object per line: ``time`` (RFC 3339, milliseconds, UTC offset), ``level``, ``logger``, ``message``,
    ``service``, then every field given with ``extra=`` or stamped on the record: the request, command and
    correlation ids of the context it was logged in (``log_context.stamp_records``); ``exception`` for a traceback.
    """

    def __init__(self, service: str | None = None) -> None:
        super().__init__(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger", "exc_info": "exception"},
            static_fields={"service": service} if service else {},
        )

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


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
