"""Running a service process: logging, a stop event set by SIGTERM/SIGINT, uvloop when available."""

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable

import orjson


class JsonFormatter(logging.Formatter):
    """One JSON object per line: easy to ship, easy to grep."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def configure_logging(level: str, service: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    logging.getLogger("aiormq").setLevel(logging.WARNING)
    logging.getLogger("aio_pika").setLevel(logging.WARNING)
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
