"""The error vocabulary: machine codes with their HTTP meaning, and the kinds of failure.

Errors are mapped to what a client sees in the gateway's error middleware (HTTP status), and to what becomes of a
message in the consumers' shared batch commit (``shared.batch_commit``: ack, dead-letter or retry; an item that
cannot succeed is a ``Culprit`` there, the allocator's ``PoisonCommand``).
"""

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    INVALID_REQUEST = "INVALID_REQUEST"
    INVALID_COMMAND = "INVALID_COMMAND"
    UNKNOWN_COMMAND_TYPE = "UNKNOWN_COMMAND_TYPE"
    UNSUPPORTED_SCHEMA_VERSION = "UNSUPPORTED_SCHEMA_VERSION"
    MISSING_REPLY_TO = "MISSING_REPLY_TO"
    INVALID_REPLY_TO = "INVALID_REPLY_TO"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    COMMAND_TOO_LARGE = "COMMAND_TOO_LARGE"
    COMMAND_NOT_YOURS = "COMMAND_NOT_YOURS"
    DOCTOR_NOT_FOUND = "DOCTOR_NOT_FOUND"
    TOKEN_NOT_FOUND = "TOKEN_NOT_FOUND"
    NOT_FOUND = "NOT_FOUND"
    DOCTOR_EXISTS = "DOCTOR_EXISTS"
    DUPLICATE_TOKEN = "DUPLICATE_TOKEN"
    SLOT_FULL = "SLOT_FULL"
    NO_CAPACITY = "NO_CAPACITY"
    NO_EMERGENCY_CAPACITY = "NO_EMERGENCY_CAPACITY"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    SERVING_CHANGED = "SERVING_CHANGED"
    SLOT_NOT_STARTED = "SLOT_NOT_STARTED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    NOT_WORKING_DAY = "NOT_WORKING_DAY"
    DATE_OUT_OF_RANGE = "DATE_OUT_OF_RANGE"
    SLOT_NOT_IN_SCHEDULE = "SLOT_NOT_IN_SCHEDULE"
    SLOT_ENDED = "SLOT_ENDED"
    SLOT_CANCELLED = "SLOT_CANCELLED"
    NO_OPEN_SLOT = "NO_OPEN_SLOT"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INVALID_API_KEY = "INVALID_API_KEY"
    FORBIDDEN = "FORBIDDEN"
    INVALID_CANCEL_CODE = "INVALID_CANCEL_CODE"
    RATE_LIMITED = "RATE_LIMITED"
    BROKER_UNAVAILABLE = "BROKER_UNAVAILABLE"
    DATABASE_UNAVAILABLE = "DATABASE_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"


HTTP_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID_REQUEST: 400,
    ErrorCode.INVALID_COMMAND: 400,
    ErrorCode.UNKNOWN_COMMAND_TYPE: 400,
    ErrorCode.UNSUPPORTED_SCHEMA_VERSION: 400,
    ErrorCode.MISSING_REPLY_TO: 400,
    ErrorCode.INVALID_REPLY_TO: 400,
    ErrorCode.UNSUPPORTED_MEDIA_TYPE: 415,
    ErrorCode.COMMAND_TOO_LARGE: 413,
    ErrorCode.COMMAND_NOT_YOURS: 422,
    ErrorCode.DOCTOR_NOT_FOUND: 404,
    ErrorCode.TOKEN_NOT_FOUND: 404,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.DOCTOR_EXISTS: 409,
    ErrorCode.DUPLICATE_TOKEN: 409,
    ErrorCode.SLOT_FULL: 409,
    ErrorCode.NO_CAPACITY: 409,
    ErrorCode.NO_EMERGENCY_CAPACITY: 409,
    ErrorCode.INVALID_TRANSITION: 409,
    ErrorCode.SERVING_CHANGED: 409,
    ErrorCode.SLOT_NOT_STARTED: 409,
    ErrorCode.IDEMPOTENCY_KEY_REUSED: 422,
    ErrorCode.NOT_WORKING_DAY: 422,
    ErrorCode.DATE_OUT_OF_RANGE: 422,
    ErrorCode.SLOT_NOT_IN_SCHEDULE: 422,
    ErrorCode.SLOT_ENDED: 422,
    ErrorCode.SLOT_CANCELLED: 422,
    ErrorCode.NO_OPEN_SLOT: 422,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.INVALID_API_KEY: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.INVALID_CANCEL_CODE: 403,
    ErrorCode.RATE_LIMITED: 429,
    ErrorCode.BROKER_UNAVAILABLE: 503,
    ErrorCode.DATABASE_UNAVAILABLE: 503,
    ErrorCode.INTERNAL_ERROR: 500,
}


def http_status(code: str) -> int:
    """HTTP status for a machine code; unknown codes are server errors."""
    try:
        return HTTP_STATUS[ErrorCode(code)]
    except ValueError:
        return 500


class OpdError(Exception):
    """Base of every error this system raises on purpose."""


class Rejection(OpdError):
    """A business decision not to do what was asked. It is a reply, never a reason to drop a message."""

    def __init__(self, code: ErrorCode, message: str, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details


class TransientError(OpdError):
    """Retrying later may help (a database or broker outage): keep the message and try again."""


class Culprit(OpdError):
    """The item at ``index`` of a batch broke its commit: it cannot succeed, however often it is retried."""

    def __init__(self, index: int, cause: BaseException) -> None:
        super().__init__(f"item #{index} failed: {cause!r}")
        self.index = index
        self.cause = cause
