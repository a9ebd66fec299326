"""Estimated consultation times: walk the doctor's day in consultation order."""

from datetime import datetime, timedelta

from allocator.domain.day import Day
from allocator.domain.model import Token


def _to_minute(instant: datetime) -> datetime:
    """Round up to the whole minute: patients are told minutes, never seconds."""
    floored = instant.replace(second=0, microsecond=0)
    return floored if floored == instant else floored + timedelta(minutes=1)


def recompute_etas(day: Day, now: datetime) -> list[tuple[Token, datetime | None]]:
    """Set every confirmed token's ETA: the patient in consultation was due when called; then, in the order
    the doctor calls them, ``max(slot start, now, doctor resumes, previous ETA + consult minutes)``.

    Consult minutes are the doctor's measured average when known. Pending and finished tokens have none.
    Returns the tokens whose ETA changed, with the old value.
    """
    changed: list[tuple[Token, datetime | None]] = []
    serving = day.serving()
    previous = serving.called_at if serving else None
    consult = timedelta(minutes=day.consult_minutes(day.slot(serving.slot_id))) if serving else timedelta(0)
    timed: set[object] = {serving.id} if serving else set()
    for token in day.call_order(now):
        slot = day.slot(token.slot_id)
        candidates = [slot.starts_at, now]
        if day.resume_at is not None:
            candidates.append(day.resume_at)
        if previous is not None:
            candidates.append(previous + consult)
        eta = _to_minute(max(candidates)).astimezone(slot.starts_at.tzinfo)
        consult = timedelta(minutes=day.consult_minutes(slot))
        previous = eta
        timed.add(token.id)
        if token.estimated_time != eta:
            changed.append((token, token.estimated_time))
            token.estimated_time = eta
    for token in day.tokens:
        if token.id not in timed and token.estimated_time is not None and token.status.is_active:
            changed.append((token, token.estimated_time))
            token.estimated_time = None
    return changed
