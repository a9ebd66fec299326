"""The allocator's answer to one command."""

from typing import Any
from uuid import UUID

from pydantic import model_validator

from shared.contracts.base import Contract


class ErrorInfo(Contract):
    code: str
    message: str
    details: dict[str, Any] = {}


class Reply(Contract):
    """``ok`` with a ``result``, or not ok with an ``error``; never both."""

    command_id: UUID
    ok: bool
    result: dict[str, Any] | None = None
    error: ErrorInfo | None = None

    @model_validator(mode="after")
    def _one_outcome(self) -> "Reply":
        if self.ok == (self.error is not None):
            raise ValueError("a reply carries an error exactly when it is not ok")
        return self
