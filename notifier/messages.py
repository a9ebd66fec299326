"""Which patient is told what: a pure mapping from events to notifications."""

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from shared.contracts.events import Event, EventBase, TokenPayload
from shared.contracts.views import TokenView

LOG_CHANNEL = "log"


@dataclass(frozen=True, slots=True)
class Notification:
    event_id: UUID
    event_type: str
    doctor_id: UUID
    token_id: UUID | None
    channel: str
    recipient: str
    text: str


def _when(instant: datetime | None, zone: ZoneInfo) -> str:
    return f"{instant.astimezone(zone):%H:%M}" if instant else "to be announced"


def _describe(event: EventBase, token: TokenView, reason: str | None, zone: ZoneInfo) -> str | None:
    slot = f"{token.time_slot.start_time:%H:%M}-{token.time_slot.end_time:%H:%M} on {token.date}"
    eta = _when(token.estimated_time, zone)
    because = f" ({reason})" if reason else ""
    texts = {
        "token.confirmed": f"Token {token.short_number} confirmed for {slot}; estimated time {eta}.",
        "token.waitlisted": (
            f"Token {token.short_number} is on the waitlist for {slot}, position {token.waitlist_position}. "
            "We will tell you when a seat frees up."
        ),
        "token.promoted": (
            f"Good news: token {token.short_number} now has a seat in {slot}; estimated time {eta}{because}."
        ),
        "token.moved": f"Token {token.short_number} moved to {slot}{because}.",
        "token.eta_changed": f"Token {token.short_number}: new estimated time {eta}{because}.",
        "token.cancelled": f"Token {token.short_number} for {slot} is cancelled{because}.",
        "token.no_show": f"Token {token.short_number} was marked as not arrived for {slot}{because}.",
        "token.checked_in": f"Token {token.short_number}: you are checked in; estimated time {eta}.",
        "token.called": f"Token {token.short_number}: {reason or 'please proceed now'}.",
        "token.up_next": f"Token {token.short_number}: you are next, please be ready.",
        "token.recalled": f"Token {token.short_number}: we called you but could not find you{because}.",
        "token.doctor_delayed": f"Token {token.short_number}: {reason}; your new estimated time is {eta}.",
    }
    return texts.get(event.type)  # type: ignore[attr-defined]


def notifications_for(event: Event, zone: ZoneInfo) -> list[Notification]:
    """The messages an event causes; events about doctors tell no patient."""
    payload = event.payload
    if not isinstance(payload, TokenPayload):
        return []
    token = payload.token
    text = _describe(event, token, payload.reason, zone)
    if text is None:
        return []
    return [
        Notification(
            event_id=event.event_id,
            event_type=event.type,
            doctor_id=event.doctor_id,
            token_id=token.id,
            channel=LOG_CHANNEL,
            recipient=token.token_number,
            text=f"[{token.token_number}] {text}",
        )
    ]
