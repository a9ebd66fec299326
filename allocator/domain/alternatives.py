"""Other doctors of the same specialization who could see the patient, earliest first."""

from datetime import date, datetime
from typing import Any

from allocator.domain.model import Doctor
from allocator.domain.workspace import Workspace
from shared.contracts.values import TokenSource


def suggest_doctors(
    scratch: Workspace, colleagues: list[Doctor], day: date, source: TokenSource, now: datetime, limit: int = 3
) -> list[dict[str, Any]]:
    """For each colleague working that day, the first open slot with a seat for this source.

    ``scratch`` is a throwaway workspace holding the colleagues' loaded days: nothing here is ever saved.
    """
    release = scratch.policy.release_reserve_at_start
    found: list[dict[str, Any]] = []
    for doctor in colleagues:
        if not doctor.works_on(day):
            continue
        schedule = scratch.day(doctor, day)
        for slot in schedule.open_slots(now):
            fits = (
                schedule.emergency_fits(slot)
                if source is TokenSource.EMERGENCY
                else schedule.seat_for_newcomer(slot, source, now, release)
            )
            if fits:
                earliest = max(slot.starts_at, now).astimezone(slot.starts_at.tzinfo)
                found.append(
                    {
                        "doctorId": str(doctor.id),
                        "name": doctor.name,
                        "specialization": doctor.specialization,
                        "room": doctor.room,
                        "date": str(day),
                        "timeSlot": slot.label(),
                        "earliestTime": earliest.isoformat(),
                    }
                )
                break
    found.sort(key=lambda suggestion: str(suggestion["earliestTime"]))
    return found[:limit]
