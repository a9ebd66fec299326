"""Delivery channels: each turns a recorded notification into something a patient receives."""

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID


@dataclass(frozen=True, slots=True)
class Delivery:
    """One claimed attempt at a recorded notification (a row of ``notifications``)."""

    id: int
    attempt: int  # 1-based, counted over the row's whole life (redrives continue the count)
    budget_used: int  # attempts since the last redrive
    event_id: UUID
    event_type: str
    doctor_id: UUID
    token_id: UUID | None
    token_number: str | None
    channel: str
    recipient: str
    language: str
    subject: str | None
    text: str
    interrupted: bool = False  # an earlier claim ended without an outcome (the notifier stopped)
    correlation_id: UUID | None = None  # the causing event's: every log line of the attempt carries it


class DeliveryError(Exception):
    """A channel's refusal; ``permanent`` ones are not retried (e.g. HTTP 4xx, SMTP 5xx).

    The reason is recorded with the attempt; ``summary`` is what may be logged: never a recipient or text
    (a receiver's answer may quote them).
    """

    def __init__(self, reason: str, *, summary: str, permanent: bool = False) -> None:
        super().__init__(reason)
        self.summary = summary
        self.permanent = permanent


class Channel(Protocol):
    name: str

    async def deliver(self, delivery: Delivery) -> None: ...
