"""Estimated consultation times: walk the doctor's day in consultation order.

A walk is kept on the day, and the next one starts where the call order (or a slot's pace) first differs from
it: ETAs before that point are a function of what comes before them, so they cannot have changed. A booking at
the end of the queue walks one token, not the whole day, on the day itself too while the doctor keeps time
(``_unchanged_prefix`` says why).
"""

from datetime import datetime, timedelta

from allocator.domain.day import Day
from allocator.domain.model import Slot, Token
from allocator.domain.walk import Call, Origin, Pace, Walk

MINUTE = timedelta(minutes=1)


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


class _Paces(dict[Slot, Pace]):
    """The paces of one walk, computed on first use."""

    def __init__(self, day: Day, now: datetime) -> None:
        super().__init__()
        self.day, self.now = day, now

    def __missing__(self, slot: Slot) -> Pace:
        pace = self[slot] = _pace(self.day, slot, self.now)
        return pace


def _origin(serving: Token | None, serving_slot: Slot | None, paces: _Paces) -> Origin | None:
    """Where the walk starts from: the patient in consultation, if any."""
    if serving is None or serving_slot is None or serving.called_at is None:
        return None
    return serving.called_at, paces[serving_slot]


def _eta_at(position: int, calls: list[Call], etas: list[datetime], origin: Origin | None, paces: _Paces) -> datetime:
    """The ETA of the call at ``position``, given the ETAs of the calls before it."""
    slot = calls[position][1]
    if position:
        return _next_eta(etas[position - 1], paces[calls[position - 1][1]], paces[slot], slot)
    return _next_eta(*origin, paces[slot], slot) if origin else paces[slot].first


def _unchanged_prefix(
    last: Walk | None, serving: Token | None, origin: Origin | None, calls: list[Call], paces: _Paces
) -> int:
    """How many calls from the start keep the ETAs of the last walk: the same patient in consultation (called at
    the same time, consulting as long), the same calls in the same slots, and for every slot among them the same
    consultation length and the same ETA for its first call. (Only the walk sets an ETA; a token that loses its
    place in the call order is no longer a call.)

    Once a slot has started its ``earliest`` follows ``now``, but it only decides an ETA that would otherwise come
    sooner. ETAs rise along the walk, so when a slot's first call keeps its ETA, none of its later calls waits for
    ``earliest``: a day in progress keeps its ETAs while the doctor keeps time."""
    if last is None or last.serving is not serving:
        return 0
    if origin and last.origin and origin[1].consult != last.origin[1].consult:
        return 0  # the same patient, so called at the same time
    same = 0
    for (token, slot), (old_token, old_slot) in zip(calls, last.calls, strict=False):
        if token is not old_token or slot is not old_slot:
            break
        same += 1
    for slot, first in last.firsts.items():
        if first >= same:
            break
        pace, old = paces[slot], last.paces[slot]
        if pace != old and (
            pace.consult != old.consult or _eta_at(first, calls, last.etas, origin, paces) != last.etas[first]
        ):
            return first
    return same


def recompute_etas(day: Day, now: datetime) -> list[tuple[Token, datetime | None]]:
    """Set every confirmed token's ETA: the patient in consultation was due when called; then, in the order
    the doctor calls them, ``max(slot start, now, doctor resumes, previous ETA + consult minutes)``.

    Consult minutes are the doctor's measured average when known. Pending and finished tokens have none.
    Returns the tokens whose ETA changed, with the old value.
    """
    serving = day.serving()
    calls = day.calls(now)
    paces = _Paces(day, now)
    origin = _origin(serving, day.slot(serving.slot_id) if serving is not None else None, paces)
    last = day.eta_walk
    same = _unchanged_prefix(last, serving, origin, calls, paces)
    etas = last.etas[:same] if last is not None and same else []
    firsts = {slot: first for slot, first in last.firsts.items() if first < same} if last is not None else {}
    if same:
        previous: datetime | None = etas[-1]
        before: Pace | None = paces[calls[same - 1][1]]
    elif origin is not None:
        previous, before = origin
    else:
        previous = before = None
    changed: list[tuple[Token, datetime | None]] = []
    walking: Slot | None = None  # calls come slot by slot (check-ins aside): a pace is looked up once per run
    pace: Pace
    for position, (token, slot) in enumerate(calls[same:], same):
        if slot is not walking:
            walking, pace = slot, paces[slot]
            firsts.setdefault(slot, position)
        eta = pace.first if previous is None or before is None else _next_eta(previous, before, pace, slot)
        previous, before = eta, pace
        etas.append(eta)
        if token.estimated_time != eta:
            changed.append((token, token.estimated_time))
            token.estimated_time = eta
    # Tokens no longer timed lose their ETA: after a first walk, only the last walk's calls can have one.
    timed = {token for token, _ in calls[same:]}
    if serving is not None:
        timed.add(serving)
    if last is None:
        untimed = day.tokens
    else:
        untimed = [token for token, _ in last.calls[same:]]
        untimed += [last.serving] if last.serving is not None else []
    for token in untimed:
        if token.estimated_time is not None and token not in timed and token.status.is_active:
            changed.append((token, token.estimated_time))
            token.estimated_time = None
    day.eta_walk = Walk(serving, origin, calls, etas, dict(paces), firsts)
    return changed
