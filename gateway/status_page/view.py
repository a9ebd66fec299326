"""What a patient's page says about their token, in their language: pure, facts in, text out.

The page and its JSON (``/t/<code>/status``) carry the same view, so the script only copies text into place.
"""

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.contracts.values import TokenStatus
from shared.contracts.views import DoctorView, TokenView
from shared.i18n.catalogs import N_, Translator
from shared.i18n.times import LocalTimes
from shared.ids import hall_number


class Stage(StrEnum):
    """Where the patient is in the visit, as the page tells it."""

    WAITLISTED = "waitlisted"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    CALLED = "called"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


HEADLINES = {
    Stage.WAITLISTED: N_("You are number {position} on the waiting list. We will message you when a seat is free."),
    Stage.CONFIRMED: N_("Your token is confirmed. Please come before your expected time."),
    Stage.CHECKED_IN: N_("You are checked in. Please wait in the hall."),
    Stage.CALLED: N_("It is your turn: please go to room {room} now."),
    Stage.COMPLETED: N_("Your consultation is complete."),
    Stage.CANCELLED: N_("This token is cancelled."),
    Stage.NO_SHOW: N_("You were marked as not arrived. If you are here, please go to the reception desk."),
}
NOT_VALID = N_("This link is not valid or has expired. Please ask at the reception desk.")
CALLED_NO_ROOM = N_("It is your turn: please go in to {doctor} now.")
ACTIONS = {
    "late": N_("I'm running late"),
    "lateDone": N_("You have been moved back a little. Your new expected time is shown below."),
    "cancel": N_("Cancel my token"),
    "confirm": N_("Cancel this token? This cannot be undone."),
    "yes": N_("Yes, cancel it"),
    "no": N_("No, keep it"),
    "failed": N_("That did not work. Please try again, or ask at the reception desk."),
}
LABELS = {
    "token": N_("Token"),
    "doctor": N_("Doctor"),
    "room": N_("Room"),
    "day": N_("Day"),
    "slot": N_("Slot"),
    "before": N_("Patients before you"),
    "eta": N_("Expected at"),
    "updated": N_("Last updated"),
}


def stage_of(token: TokenView) -> Stage:
    if token.status is TokenStatus.PENDING:
        return Stage.WAITLISTED
    if token.status is TokenStatus.CONFIRMED:
        if token.called_at is not None:
            return Stage.CALLED
        return Stage.CHECKED_IN if token.checked_in_at is not None else Stage.CONFIRMED
    return Stage(token.status.value)


@dataclass(frozen=True, slots=True)
class PageFacts:
    """What the page may show: the token, its doctor, how many are to be seen first, and when this was read."""

    token: TokenView
    doctor: DoctorView
    before: int | None
    now: datetime


def page_view(f: PageFacts, language: Translator, times: LocalTimes) -> dict[str, Any]:
    """Labels, values and the headline, as text; ``stage`` and the actions' availability as data."""
    token, stage = f.token, stage_of(f.token)
    if stage is Stage.CALLED and not f.doctor.room:
        headline = language.text(CALLED_NO_ROOM, doctor=f.doctor.name)
    else:
        headline = language.text(HEADLINES[stage], position=token.waitlist_position or "-", room=f.doctor.room)
    waiting = stage in (Stage.CONFIRMED, Stage.CHECKED_IN)
    values = {
        "token": hall_number(token.token_number),
        "doctor": f.doctor.name,
        "room": f.doctor.room or "-",
        "day": times.day(token.date),
        "slot": times.span(token.time_slot.start_time, token.time_slot.end_time),
        "before": str(f.before) if waiting and f.before is not None else "-",
        "eta": times.clock(token.estimated_time) if waiting and token.estimated_time else "-",
        "updated": times.clock(f.now),
    }
    return {
        "stage": stage.value,
        "headline": headline,
        "rows": [{"key": key, "label": language.text(LABELS[key]), "value": values[key]} for key in LABELS],
        "canLate": stage in (Stage.CONFIRMED, Stage.CHECKED_IN) and token.recalls == 0,
        "canCancel": stage in (Stage.WAITLISTED, Stage.CONFIRMED, Stage.CHECKED_IN),
        "actions": {key: language.text(message) for key, message in ACTIONS.items()},
    }
