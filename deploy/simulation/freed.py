"""Freed seats and whether they were taken again, read from a day's token events in publish order.

A seat is freed when a token holding one (confirmed or already seen) is cancelled or marked no-show, unless the
slot was holding more than its capacity (an emergency on the overflow seat): then the slot just comes back to
full. It is refilled when the slot's count of seated tokens climbs back to where it was before the seat was freed
(by a promotion from the waitlist or a new booking). A patient was waiting when the slot had a waitlisted token.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from deploy.simulation.record import TokenEvent

SEATED = frozenset({"confirmed", "completed"})
ENDED = frozenset({"cancelled", "no_show"})


@dataclass(slots=True)
class FreedSeat:
    doctor: str
    slot: str
    at: datetime
    token: str  # the token that gave the seat up
    waiting: bool  # a patient was waitlisted in that slot at that moment
    refilled_by: str | None = None
    refilled_at: datetime | None = None


def freed_seats(events: Iterable[TokenEvent], capacity: Mapping[tuple[str, str], int]) -> list[FreedSeat]:
    """Every seat freed during the day, oldest first, with who (if anyone) took it again.

    ``capacity``: seats of each (doctor, slot label).
    """
    last: dict[str, tuple[str, str]] = {}  # token -> (status, slot) after its latest event
    seated: Counter[tuple[str, str]] = Counter()
    waiting: Counter[tuple[str, str]] = Counter()
    holes: dict[tuple[str, str], dict[int, FreedSeat]] = {}  # seated count to climb back to -> the freed seat
    freed: list[FreedSeat] = []
    for event in events:
        before = last.get(event.token)
        last[event.token] = (event.status, event.slot)
        if before is not None and _same_seat(before, (event.status, event.slot)):
            continue  # e.g. seen, called, a new ETA: the token keeps its seat (or its place in the waitlist)
        if before is not None:
            status, slot = before
            place = (event.doctor, slot)
            if status == "pending":
                waiting[place] -= 1
            if status in SEATED:
                if event.status in ENDED and seated[place] <= capacity[place]:
                    seat = FreedSeat(event.doctor, slot, event.at, event.token, waiting=waiting[place] > 0)
                    holes.setdefault(place, {})[seated[place]] = seat
                    freed.append(seat)
                seated[place] -= 1
        place = (event.doctor, event.slot)
        if event.status == "pending":
            waiting[place] += 1
        if event.status in SEATED:
            seated[place] += 1
            hole = holes.get(place, {}).pop(seated[place], None)
            if hole is not None:
                hole.refilled_by, hole.refilled_at = event.token, event.at
    return freed


def _same_seat(before: tuple[str, str], after: tuple[str, str]) -> bool:
    (was, slot), (now, new_slot) = before, after
    return slot == new_slot and (was in SEATED) == (now in SEATED) and (was == "pending") == (now == "pending")
