"""Estimated consultation times: walk the doctor's day in consultation order."""

from datetime import datetime, timedelta
from typing import NamedTuple

from allocator.domain.day import Day
from allocator.domain.model import Slot, Token

MINUTE = timedelta(minutes=1)


class Pace(NamedTuple):
    """What one walk needs of a slot."""

    earliest: datetime  # nobody is due before this: slot start, now, the doctor's return
    first: datetime  # ``earliest`` as an ETA
    consult: timedelta  # one consultation
    consult_up: timedelta  # one consultation rounded up to whole minutes


def _to_minute(instant: datetime) -> datetime:
    """Round up to the whole minute: patients are told minutes, never seconds."""
    if instant.second or instant.microsecond:
        return instant.replace(second=0, microsecond=0) + MINUTE
    return instant


def _pace(day: Day, slot: Slot, now: datetime) -> Pace:
    earliest = max(slot.starts_at, now) if day.resume_at is None else max(slot.starts_at, now, day.resume_at)
    consult = timedelta(minutes=day.consult_minutes(slot))
    below = consult % MINUTE
    consult_up = consult - below + MINUTE if below else consult
    return Pace(earliest, _to_minute(earliest).astimezone(slot.starts_at.tzinfo), consult, consult_up)


def _next_eta(previous: datetime, pace_before: Pace, pace: Pace, slot: Slot) -> datetime:
    """The ETA after a patient due at ``previous`` (whose slot's pace is ``pace_before``)."""
    candidate = previous + pace_before.consult
    if not candidate > pace.earliest:
        return pace.first
    # From a whole minute, rounding the sum up is adding the consultation rounded up.
    due = _to_minute(candidate) if previous.second or previous.microsecond else previous + pace_before.consult_up
    return due.astimezone(slot.starts_at.tzinfo)


def recompute_etas(day: Day, now: datetime) -> list[tuple[Token, datetime | None]]:
    """Set every confirmed token's ETA: the patient in consultation was due when called; then, in the order
    the doctor calls them, ``max(slot start, now, doctor resumes, previous ETA + consult minutes)``.

    Consult minutes are the doctor's measured average when known. Pending and finished tokens have none.
    Returns the tokens whose ETA changed, with the old value.
    """
    changed: list[tuple[Token, datetime | None]] = []
    serving = day.serving()
    previous = serving.called_at if serving else None
    before = _pace(day, day.slot(serving.slot_id), now) if serving else None
    timed: set[Token] = {serving} if serving else set()
    paces: dict[Slot, Pace] = {}
    for token, slot in day.calls(now):
        pace = paces.get(slot) or paces.setdefault(slot, _pace(day, slot, now))
        eta = pace.first if previous is None or before is None else _next_eta(previous, before, pace, slot)
        previous, before = eta, pace
        timed.add(token)
        if token.estimated_time != eta:
            changed.append((token, token.estimated_time))
            token.estimated_time = eta
    for token in day.tokens:
        if token.estimated_time is not None and token not in timed and token.status.is_active:
            changed.append((token, token.estimated_time))
            token.estimated_time = None
    return changed
