"""Which patient is told what, through which channels: a pure mapping from events to notifications."""

from collections.abc import Collection
from dataclasses import dataclass
from uuid import UUID
from zoneinfo import ZoneInfo

from notifier.templates import Facts, render, subject
from shared.contracts.events import Event, TokenPayload
from shared.contracts.views import TokenView
from shared.i18n.catalogs import choose_language, translator
from shared.i18n.times import LocalTimes
from shared.ids import hall_number
from shared.status_links import StatusLinks

LOG_CHANNEL = "log"
WEBHOOK_CHANNEL = "webhook"
EMAIL_CHANNEL = "email"
ETA_CHANGED = "token.eta_changed"


@dataclass(frozen=True, slots=True)
class DoctorInfo:
    name: str
    room: str | None = None


@dataclass(frozen=True, slots=True)
class Notification:
    event_id: UUID
    event_type: str
    doctor_id: UUID
    token_id: UUID | None
    channel: str
    recipient: str
    text: str
    language: str = "en"
    subject: str | None = None
    token_number: str | None = None
    correlation_id: UUID | None = None


def facts_for(payload: TokenPayload, doctor: DoctorInfo | None, link: str | None = None) -> Facts:
    token = payload.token
    return Facts(
        token=hall_number(token.token_number),
        day=token.date,
        start=token.time_slot.start_time,
        end=token.time_slot.end_time,
        eta=token.estimated_time,
        previous_eta=payload.previous_estimated_time,
        doctor=doctor.name if doctor else None,
        room=doctor.room if doctor else None,
        position=token.waitlist_position,
        reason=payload.reason_code,
        reason_params=payload.reason_params,
        link=link,
    )


def recipients(token: TokenView, channels: Collection[str]) -> list[tuple[str, str]]:
    """(channel, recipient) pairs: always the log; the webhook for a phone, e-mail for an address."""
    found = [(LOG_CHANNEL, token.token_number)]
    if token.phone and WEBHOOK_CHANNEL in channels:
        found.append((WEBHOOK_CHANNEL, token.phone))
    if token.email and EMAIL_CHANNEL in channels:
        found.append((EMAIL_CHANNEL, token.email))
    return found


def notifications_for(
    event: Event,
    zone: ZoneInfo,
    *,
    doctor: DoctorInfo | None = None,
    default_language: str = "en",
    channels: Collection[str] = (LOG_CHANNEL,),
    links: StatusLinks | None = None,
) -> list[Notification]:
    """The messages an event causes; events about doctors, and completed consultations, tell no patient.

    With ``links``, the booking messages carry the patient's status link.
    """
    payload = event.payload
    if not isinstance(payload, TokenPayload):
        return []
    token = payload.token
    language = translator(choose_language(token.language, default_language))
    link = links.url(token.id, token.date) if links else None
    text = render(event.type, language, LocalTimes(language.locale, zone), facts_for(payload, doctor, link))
    if text is None:
        return []
    return [
        Notification(
            event_id=event.event_id,
            event_type=event.type,
            doctor_id=event.doctor_id,
            token_id=token.id,
            channel=channel,
            recipient=recipient,
            text=f"[{token.token_number}] {text}" if channel == LOG_CHANNEL else text,
            language=language.language,
            subject=subject(language, hall_number(token.token_number)),
            token_number=token.token_number,
            correlation_id=event.correlation_id,
        )
        for channel, recipient in recipients(token, channels)
    ]
