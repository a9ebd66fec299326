"""Public projections: what a display board or an anonymous feed may see. Token numbers, never patients."""

import datetime as dt
from typing import Any
from uuid import UUID

from shared.contracts.base import Contract
from shared.contracts.events import DoctorPayload, Event, TokenPayload
from shared.contracts.values import TimeRange, TokenStatus
from shared.contracts.views import TokenView

# Free text a patient or clerk may have typed (e.g. a cancellation reason) is never shown publicly.
_PRIVATE_REASONS = frozenset({"token.cancelled", "token.no_show"})


class PublicToken(Contract):
    """A token without its patient: no name, age, patient id, phone, e-mail, language or source."""

    token_number: str
    short_number: str
    doctor_id: UUID
    date: dt.date
    time_slot: TimeRange
    status: TokenStatus
    is_emergency: bool
    position: int | None = None
    waitlist_position: int | None = None
    estimated_time: dt.datetime | None = None
    checked_in: bool = False
    called_at: dt.datetime | None = None


def public_token(view: TokenView) -> PublicToken:
    return PublicToken(
        token_number=view.token_number,
        short_number=view.short_number,
        doctor_id=view.doctor_id,
        date=view.date,
        time_slot=view.time_slot,
        status=view.status,
        is_emergency=view.is_emergency,
        position=view.position,
        waitlist_position=view.waitlist_position,
        estimated_time=view.estimated_time,
        checked_in=view.checked_in_at is not None,
        called_at=view.called_at,
    )


PUBLIC_DELAY_REASONS = ("emergency", "ward round", "surgery", "meeting", "technical problem")
"""The delay reasons a public view shows; anything else a desk typed stays with staff."""


def public_delay_reason(reason: str | None) -> str | None:
    """The reason for a doctor's delay as the public may see it: one of the fixed list, else nothing."""
    wanted = (reason or "").strip().lower()
    return wanted if wanted in PUBLIC_DELAY_REASONS else None


def public_event(event: Event) -> dict[str, Any]:
    """The JSON an SSE subscriber gets for one event (camelCase)."""
    data: dict[str, Any] = {
        "eventId": str(event.event_id),
        "type": event.type,
        "doctorId": str(event.doctor_id),
        "sequence": event.sequence,
        "occurredAt": event.occurred_at.isoformat(),
    }
    payload = event.payload
    if isinstance(payload, TokenPayload):
        data["token"] = public_token(payload.token).model_dump(mode="json")
        if payload.reason_code is not None and event.type not in _PRIVATE_REASONS:
            # The code and its parameters only: the English text may quote what a desk typed, or other tokens.
            data["reasonCode"] = payload.reason_code.value
            data["reasonParams"] = payload.reason_params
        if payload.previous_estimated_time is not None:
            data["previousEstimatedTime"] = payload.previous_estimated_time.isoformat()
    elif isinstance(payload, DoctorPayload):
        doctor = payload.doctor
        data["doctor"] = {"id": str(doctor.id), "name": doctor.name, "room": doctor.room}
    return data
