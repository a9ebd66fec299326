"""Estimated consultation times: walk the doctor's day in the order the doctor is expected to call.

Each call is due when the one before it is expected to end, never before its slot starts, now, or the doctor's
return. A patient here (checked in, or in consultation) keeps the doctor one consultation; a confirmed patient not
here yet, ``Policy.show_chance`` of one, since some never come, cancel, or come after their turn and go to the
back. The walk adds exact durations and rounds only the time it tells, so rounding does not pile up along a queue.

A walk is kept on the day, and the next one starts where the call order, a patient's presence (or a slot's pace)
first differs from it: the calls before that point are due at times that depend only on what comes before them,
so they cannot have changed. A booking at the end of the queue walks one token, not the whole day, on the day
itself too while the doctor keeps time (``_unchanged_prefix`` says why). It also stops where the rest of the day
is as the last walk left it (``_keeps_the_rest``): a booking in a morning slot does not walk the afternoon.
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


def _told(due: datetime, slot: Slot) -> datetime:
    """The ETA a patient is told: when their call is due, rounded up to the minute, in the slot's time zone."""
    return _to_minute(due).astimezone(slot.starts_at.tzinfo)


def _pace(day: Day, slot: Slot, now: datetime) -> Pace:
    earliest = max(slot.starts_at, now) if day.resume_at is None else max(slot.starts_at, now, day.resume_at)
    return Pace(earliest, timedelta(minutes=day.consult_minutes(slot)))


def _turn(pace: Pace, here: bool, show_chance: float) -> timedelta:
    """How long a call is expected to keep the doctor: a consultation, or its share for a patient not here yet."""
    return pace.consult if here else pace.consult * show_chance


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


def _due_at(
    position: int,
    calls: list[Call],
    here: list[bool],
    dues: list[datetime],
    origin: Origin | None,
    paces: _Paces,
    show_chance: float,
) -> datetime:
    """When the call at ``position`` is due, given when the calls before it are due."""
    pace = paces[calls[position][1]]
    if not position:
        return max(origin[0] + origin[1].consult, pace.earliest) if origin else pace.earliest
    before = paces[calls[position - 1][1]]
    return max(dues[position - 1] + _turn(before, here[position - 1], show_chance), pace.earliest)


def _unchanged_prefix(
    last: Walk | None,
    serving: Token | None,
    origin: Origin | None,
    calls: list[Call],
    here: list[bool],
    paces: _Paces,
    show_chance: float,
) -> int:
    """How many calls from the start keep when the last walk had them due: the same patient in consultation
    (called at the same time, consulting as long), the same calls in the same slots with the same patients here,
    and for every slot among them the same consultation length and the same due time for its first call. (Only the
    walk sets an ETA; a token that loses its place in the call order is no longer a call.)

    Once a slot has started its ``earliest`` follows ``now``, but it only decides a due time that would otherwise
    come sooner. Due times rise along the walk, so when a slot's first call keeps its time, none of its later calls
    waits for ``earliest``: a day in progress keeps its ETAs while the doctor keeps time."""
    if last is None or last.serving is not serving or last.show_chance != show_chance:
        return 0
    if origin and last.origin and origin[1].consult != last.origin[1].consult:
        return 0  # the same patient, so called at the same time
    same = 0
    for (token, slot), present, (old_token, old_slot), was in zip(calls, here, last.calls, last.here, strict=False):
        if token is not old_token or slot is not old_slot or present is not was:
            break
        same += 1
    for slot, first in last.firsts.items():
        if first >= same:
            break
        pace, old = paces[slot], last.paces[slot]
        if pace != old and (
            pace.consult != old.consult
            or _due_at(first, calls, here, last.dues, origin, paces, show_chance) != last.dues[first]
        ):
            return first
    return same


def _keeps_the_rest(
    last: Walk, position: int, due: datetime, calls: list[Call], here: list[bool], paces: _Paces, now: datetime
) -> bool:
    """Whether the calls from ``position`` on, the first of its slot, are due as the last walk had them: that call
    is due at the same time, and from it on come the same calls, with the same patients here, in slots at the same
    pace. Then each later call is due when it was, since a due time depends only on the one before it and its own
    slot's pace.

    Only before its slot starts: from there on the call order is slot by slot, each slot's calls together and in no
    earlier run, so the last walk's first positions of the later slots, shifted, stay right."""
    slot = calls[position][1]
    old = position - len(calls) + len(last.calls)
    if slot.starts_at <= now or not 0 <= old < len(last.dues) or last.dues[old] != due:
        return False
    if calls[position:] != last.calls[old:] or here[position:] != last.here[old:]:
        return False
    later = [other for other, first in last.firsts.items() if first > old]
    return all(paces[other] == last.paces.get(other) for other in (slot, *later))


def recompute_etas(day: Day, now: datetime, show_chance: float) -> list[tuple[Token, datetime | None]]:
    """Set every confirmed token's ETA. The patient in consultation was due when called; then, in the order the
    doctor is expected to call (``Day.expected_calls``), each call is due at ``max(slot start, now, doctor
    resumes, previous call due + its turn)``, the turn being a consultation for a patient here and ``show_chance``
    of one for a patient not here yet; the ETA is that time rounded up to the minute.

    Consult minutes are the doctor's measured average when known. Pending and finished tokens have none.
    Returns the tokens whose ETA changed, with the old value.
    """
    serving = day.serving()
    calls = day.expected_calls(now)
    here = [token.checked_in_at is not None for token, _ in calls]
    paces = _Paces(day, now)
    origin = _origin(serving, day.slot(serving.slot_id) if serving is not None else None, paces)
    last = day.eta_walk
    same = _unchanged_prefix(last, serving, origin, calls, here, paces, show_chance)
    dues = last.dues[:same] if last is not None and same else []
    firsts = {slot: first for slot, first in last.firsts.items() if first < same} if last is not None else {}
    previous: datetime | None = None
    turn = timedelta(0)
    if same:
        previous, turn = dues[-1], _turn(paces[calls[same - 1][1]], here[same - 1], show_chance)
    elif origin is not None:
        previous, turn = origin[0], origin[1].consult
    changed: list[tuple[Token, datetime | None]] = []
    walking: Slot | None = None  # calls come slot by slot (check-ins aside): a pace is looked up once per run
    pace: Pace
    rest = len(calls)  # the calls from here on keep the last walk's times
    keeping = last if last is not None and last.show_chance == show_chance else None  # a walk whose rest may keep
    for position, (token, slot) in enumerate(calls[same:], same):
        first_of_run = slot is not walking
        if first_of_run:
            walking, pace = slot, paces[slot]
            firsts.setdefault(slot, position)
        due = pace.earliest if previous is None else max(previous + turn, pace.earliest)
        if first_of_run and keeping is not None and _keeps_the_rest(keeping, position, due, calls, here, paces, now):
            shift = len(calls) - len(keeping.calls)
            dues += keeping.dues[position - shift :]
            for later, first in keeping.firsts.items():
                if first > position - shift:
                    firsts.setdefault(later, first + shift)
            rest = position
            break
        previous, turn = due, _turn(pace, here[position], show_chance)
        dues.append(due)
        eta = _told(due, slot)
        if token.estimated_time != eta:
            changed.append((token, token.estimated_time))
            token.estimated_time = eta
    # Tokens no longer timed lose their ETA: after a first walk, only the last walk's calls can have one (and not
    # those of the rest kept, which are calls still).
    timed = {token for token, _ in calls[same:rest]}
    if serving is not None:
        timed.add(serving)
    if last is None:
        untimed = day.tokens
    else:
        untimed = [token for token, _ in last.calls[same : rest - len(calls) + len(last.calls)]]
        untimed += [last.serving] if last.serving is not None else []
    for token in untimed:
        if token.estimated_time is not None and token not in timed and token.status.is_active:
            changed.append((token, token.estimated_time))
            token.estimated_time = None
    day.eta_walk = Walk(serving, origin, calls, here, dues, dict(paces), firsts, show_chance)
    return changed
