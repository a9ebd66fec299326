"""Ids that every log line written while handling a request, command or event carries.

``bound`` sets them for a block; ``stamp_records`` makes every log record created meanwhile carry them as
attributes (``requestId``, ``commandId``, ``correlationId``), which the JSON formatter writes out.
"""

import contextlib
import logging
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any
from uuid import UUID

REQUEST_ID: ContextVar[str | None] = ContextVar("opd_request_id", default=None)
COMMAND_ID: ContextVar[str | None] = ContextVar("opd_command_id", default=None)
CORRELATION_ID: ContextVar[str | None] = ContextVar("opd_correlation_id", default=None)

# Log record attribute (and JSON field) → the variable holding it.
FIELDS: dict[str, ContextVar[str | None]] = {
    "requestId": REQUEST_ID,
    "commandId": COMMAND_ID,
    "correlationId": CORRELATION_ID,
}


@contextlib.contextmanager
def bound(
    *, request_id: str | None = None, command_id: UUID | None = None, correlation_id: UUID | None = None
) -> Iterator[None]:
    """Set the given ids for the block (``None`` leaves a variable as it is), then restore them."""
    values = {REQUEST_ID: request_id, COMMAND_ID: command_id, CORRELATION_ID: correlation_id}
    tokens = [(var, var.set(str(value))) for var, value in values.items() if value is not None]
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


def stamp_records() -> Callable[[], None]:
    """Give every new log record the ids of the context it is created in; returns the undo (for tests)."""
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        for name, var in FIELDS.items():
            value = var.get()
            if value is not None and not hasattr(record, name):
                setattr(record, name, value)
        return record

    logging.setLogRecordFactory(factory)
    return lambda: logging.setLogRecordFactory(previous)
