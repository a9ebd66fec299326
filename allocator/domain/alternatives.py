"""Other doctors of the same specialization who could see the patient, earliest first.

Suggestions read the colleagues' slots as the seat rule sees them (``SlotSeats``: counts and the waitlist's
sources, no patients), so the shell can fetch them cheaply for colleagues whose days it does not hold.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import groupby
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from allocator.domain.day import Day
from allocator.domain.model import Doctor
from allocator.domain.policy import Policy
from shared.contracts.values import SlotStatus, TokenSource, TokenStatus, range_label
from shared.seats import Ledger


@dataclass(frozen=True, slots=True)
class SlotSeats:
    """One dated slot of a colleague, as far as the seat rule needs it."""

    start_time: time
    end_time: time
    starts_at: datetime
    ends_at: datetime
    cancelled: bool
    capacity: int
    reserved: int
    quotas: Mapping[TokenSource, int]
    seated: Mapping[TokenSource, int]  # confirmed and completed tokens, by source
    waiting: tuple[tuple[TokenSource, int], ...] = ()  # the waitlist in queue order, as runs of one source

    @property
    def label(self) -> str:
        return range_label(self.start_time, self.end_time)

    def admits(self, source: TokenSource, now: datetime, release_at_start: bool) -> bool:
        """Whether a new token of ``source`` would get a seat here now (the same rule as booking)."""
        if self.cancelled or now >= self.ends_at:
            return False
        ledger = Ledger.of(
            self.capacity, self.reserved, self.quotas, now >= self.starts_at, self.seated, release_at_start
        )
        return ledger.admits_newcomer(source, self.waiting)


def seats_of_day(day: Day) -> list[SlotSeats]:
    """A loaded day's slots as ``SlotSeats`` (the allocator holds this day: its own state, up to date)."""
    return [
        SlotSeats(
            start_time=slot.start_time,
            end_time=slot.end_time,
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            cancelled=slot.status is SlotStatus.CANCELLED,
            capacity=slot.capacity,
            reserved=slot.reserved,
            quotas=slot.quotas,
            seated=day.confirmed_by_source(slot),
            waiting=tuple(
                (source, len(list(run)))
                for source, run in groupby(token.source for token in day.in_slot(slot, TokenStatus.PENDING))
            ),
        )
        for slot in day.slots
    ]


def _seats_of_templates(doctor: Doctor, day: date, zone: ZoneInfo) -> list[SlotSeats]:
    """Empty slots from the weekly templates: the day nobody has booked or changed yet."""
    return [
        SlotSeats(
            start_time=template.start_time,
            end_time=template.end_time,
            starts_at=datetime.combine(day, template.start_time, tzinfo=zone),
            ends_at=datetime.combine(day, template.end_time, tzinfo=zone),
            cancelled=False,
            capacity=template.max_capacity,
            reserved=template.reserved_emergency_slots,
            quotas=template.quotas,
            seated={},
        )
        for template in sorted(doctor.templates, key=lambda template: template.start_time)
    ]


def suggest_doctors(
    policy: Policy,
    colleagues: Sequence[Doctor],
    seats: Mapping[UUID, Sequence[SlotSeats]],
    day: date,
    source: TokenSource,
    now: datetime,
    limit: int = 3,
) -> list[dict[str, Any]]:
    """For each colleague working that day, the first open slot with a seat for this source.

    ``seats``: the colleagues' dated slots on ``day`` where they exist; the others' days come from their templates.
    """
    found: list[dict[str, Any]] = []
    for doctor in colleagues:
        if not doctor.works_on(day):
            continue
        slots = seats.get(doctor.id) or _seats_of_templates(doctor, day, policy.zone)
        slot = next((s for s in slots if s.admits(source, now, policy.release_reserve_at_start)), None)
        if slot is not None:
            earliest = max(slot.starts_at, now).astimezone(slot.starts_at.tzinfo)
            found.append(
                {
                    "doctorId": str(doctor.id),
                    "name": doctor.name,
                    "specialization": doctor.specialization,
                    "room": doctor.room,
                    "date": str(day),
                    "timeSlot": slot.label,
                    "earliestTime": earliest.isoformat(),
                }
            )
    found.sort(key=lambda suggestion: str(suggestion["earliestTime"]))
    return found[:limit]
