"""The messages patients get, one per event type, as gettext message ids: the catalogs hold every language.

Pure: facts in, text out. Each message is whole sentences; a reason is one more sentence after it.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from shared.contracts.reasons import ReasonCode, ReasonParams
from shared.i18n.catalogs import N_, Translator
from shared.i18n.reasons import reason_sentence
from shared.i18n.times import LocalTimes


@dataclass(frozen=True, slots=True)
class Facts:
    """What a message may mention, as data: the templates format it for the reader's locale and zone."""

    token: str  # as the waiting hall calls it, e.g. D3-T007
    day: date
    start: time
    end: time
    eta: datetime | None
    previous_eta: datetime | None = None
    doctor: str | None = None
    room: str | None = None
    position: int | None = None
    reason: ReasonCode | None = None
    reason_params: ReasonParams | None = None
    link: str | None = None  # the patient's status page


MESSAGES: dict[str, str] = {
    "token.confirmed": N_("Token {token} is confirmed with {doctor} on {day}, {slot}. Expected time: {eta}."),
    "token.waitlisted": N_(
        "Token {token} is number {position} on the waiting list for {doctor} on {day}, {slot}. "
        "We will message you when a seat is free."
    ),
    "token.promoted": N_(
        "Good news: token {token} now has a seat with {doctor} on {day}, {slot}. Expected time: {eta}."
    ),
    "token.moved": N_("Token {token} has moved to {day}, {slot} with {doctor}. Expected time: {eta}."),
    "token.eta_changed": N_("Token {token}: your expected time on {day} is now {eta}."),
    "token.up_next": N_("Token {token}: you are next for {doctor}. Please be ready."),
    "token.called": N_("Token {token}: please go in to {doctor} now."),
    "token.recalled": N_(
        "Token {token}: you were called but we could not find you. "
        "Please come to the reception desk as soon as you can."
    ),
    "token.cancelled": N_(
        "Token {token} with {doctor} on {day}, {slot} is cancelled. Please book again or ask at the reception desk."
    ),
    "token.doctor_delayed": N_("Token {token}: {doctor} is running late. Your new expected time is {eta}."),
    # token.checked_in: none; the patient is at the desk, which says it, and the board shows the times.
    "token.no_show": N_(
        "Token {token} was marked as not arrived for {day}, {slot}. If you are here, please go to the reception desk."
    ),
}
FOLLOW_LIVE = N_("Follow your token live: {link}")
WITH_LINK = {"token.confirmed", "token.waitlisted"}  # the booking's messages
ETA_MOVED = N_("Token {token}: your expected time on {day} is now {eta} instead of {previous}.")
DOCTOR = N_("the doctor")
DOCTOR_IN_ROOM = N_("{doctor} (room {room})")
NO_ETA = N_("to be announced")
SUBJECT = N_("Your OPD token {token}")
SAID_BY_THE_MESSAGE = {("token.doctor_delayed", ReasonCode.DOCTOR_LATE), ("token.promoted", ReasonCode.SEAT_FREED)}


def _doctor(f: Facts, language: Translator) -> str:
    name = f.doctor or language.text(DOCTOR)
    return language.text(DOCTOR_IN_ROOM, doctor=name, room=f.room) if f.room else name


def render(event_type: str, language: Translator, times: LocalTimes, f: Facts) -> str | None:
    """The message for an event type, or None when the event tells the patient nothing."""
    message = MESSAGES.get(event_type)
    if message is None:
        return None
    moved = event_type == "token.eta_changed" and f.previous_eta is not None and f.eta is not None
    text = language.text(
        ETA_MOVED if moved else message,
        token=f.token,
        doctor=_doctor(f, language),
        day=times.day(f.day),
        slot=times.span(f.start, f.end),
        eta=times.clock(f.eta) if f.eta else language.text(NO_ETA),
        previous=times.clock(f.previous_eta) if f.previous_eta else "",
        position=f.position or "-",
    )
    if f.reason is not None and (event_type, f.reason) not in SAID_BY_THE_MESSAGE:
        text = f"{text} {reason_sentence(f.reason, f.reason_params or {}, language, times)}"
    if f.link and event_type in WITH_LINK:
        text = f"{text} {language.text(FOLLOW_LIVE, link=f.link)}"
    return text


def subject(language: Translator, token: str) -> str:
    return language.text(SUBJECT, token=token)
