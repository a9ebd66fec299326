"""Estimated consultation times: walk the doctor's day in consultation order."""

from datetime import datetime, timedelta

from allocator.domain.day import Day
from allocator.domain.model import Token
from shared.contracts.values import SlotStatus, TokenStatus


def _to_minute(instant: datetime) -> datetime:
    """Round up to the whole minute: patients are told minutes, never seconds."""
    floored = instant.replace(second=0, microsecond=0)
    return floored if floored == instant else floored + timedelta(minutes=1)


def recompute_etas(day: Day, now: datetime) -> list[tuple[Token, datetime | None]]:
    """Set every confirmed token's ETA to ``max(slot start, now, previous ETA + consult minutes)``.

    Pending and finished tokens have none. Returns the tokens whose ETA changed, with the old value.
    """
    changed: list[tuple[Token, datetime | None]] = []
    previous: datetime | None = None
    consult = timedelta(0)
    confirmed_ids: set[object] = set()
    for slot in day.slots:
        if slot.status is SlotStatus.CANCELLED:
            continue
        for token in day.in_slot(slot, TokenStatus.CONFIRMED):
            candidates = [slot.starts_at, now]
            if previous is not None:
                candidates.append(previous + consult)
            eta = _to_minute(max(candidates)).astimezone(slot.starts_at.tzinfo)
            consult = timedelta(minutes=slot.consult_minutes)
            previous = eta
            confirmed_ids.add(token.id)
            if token.estimated_time != eta:
                changed.append((token, token.estimated_time))
                token.estimated_time = eta
    for token in day.tokens:
        if token.id not in confirmed_ids and token.estimated_time is not None and token.status.is_active:
            changed.append((token, token.estimated_time))
            token.estimated_time = None
    return changed
