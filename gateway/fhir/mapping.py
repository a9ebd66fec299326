"""Our read models as FHIR R4 resources: a doctor is a Practitioner with a Schedule, a dated slot a Slot, a token
an Appointment. JSON dictionaries, camelCase as FHIR spells them."""

import re
from datetime import date, datetime, time
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from gateway.fhir import terms
from shared.contracts.values import SlotStatus, TokenStatus
from shared.contracts.views import DoctorView, SlotView, TokenView

Resource = dict[str, Any]
_SLOT_ID = re.compile(r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-(\d{8})-(\d{4})-(\d{4})$")


def reference(resource_type: str, resource_id: object) -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id}"}


def _specialty(text: str) -> list[dict[str, Any]]:
    return [{"coding": [{"system": terms.SPECIALIZATION, "code": text.lower(), "display": text}], "text": text}]


def practitioner(doctor: DoctorView) -> Resource:
    """The specialization is a qualification the doctor holds (searchable as ``specialty``)."""
    return {
        "resourceType": "Practitioner",
        "id": str(doctor.id),
        "identifier": [{"system": terms.DOCTOR_CODE, "value": doctor.code}],
        "active": True,
        "name": [{"text": doctor.name}],
        "qualification": [{"code": _specialty(doctor.specialization)[0]}],
    }


def schedule(doctor: DoctorView) -> Resource:
    """The doctor's week: ``working-day`` and ``weekly-slot`` extensions, and the same as text."""
    days = [{"url": terms.WORKING_DAY, "valueCode": day.value[:3].lower()} for day in doctor.working_days]
    weekly = [
        {
            "url": terms.WEEKLY_SLOT,
            "extension": [
                {"url": "start", "valueTime": f"{t.start_time:%H:%M}:00"},
                {"url": "end", "valueTime": f"{t.end_time:%H:%M}:00"},
                {"url": "capacity", "valueInteger": t.max_capacity},
            ],
        }
        for t in doctor.time_slots
    ]
    hours = ", ".join(f"{t.label()} ({t.max_capacity} seats)" for t in doctor.time_slots)
    return {
        "resourceType": "Schedule",
        "id": str(doctor.id),
        "extension": [*days, *weekly],
        "active": True,
        "specialty": _specialty(doctor.specialization),
        "actor": [{**reference("Practitioner", doctor.id), "display": doctor.name}],
        "comment": f"{', '.join(day.value for day in doctor.working_days)}: {hours}",
    }


def slot_id(doctor_id: UUID, day: date, start: str, end: str) -> str:
    """A dated slot's FHIR id names the doctor, the date and the times, so a booking by Slot needs no lookup."""
    return f"{doctor_id}-{day:%Y%m%d}-{start.replace(':', '')}-{end.replace(':', '')}"


def parse_slot_id(text: str) -> tuple[UUID, date, time, time] | None:
    """(doctor, date, start, end) of a Slot id; None for anything else."""
    match = _SLOT_ID.match(text)
    if match is None:
        return None
    doctor, day, start, end = match.groups()
    try:
        return UUID(doctor), datetime.strptime(day, "%Y%m%d").date(), _clock(start), _clock(end)
    except ValueError:
        return None


def _clock(digits: str) -> time:
    return time(int(digits[:2]), int(digits[2:]))


def _at(day: date, clock: str | time, zone: ZoneInfo) -> datetime:
    moment = clock if isinstance(clock, time) else time.fromisoformat(clock)
    return datetime.combine(day, moment, tzinfo=zone)


def slot_status(slot: SlotView, now: datetime, zone: ZoneInfo) -> str:
    """free: a regular patient can get a seat; busy: full (a booking is waitlisted); busy-unavailable: cancelled or
    over."""
    if slot.status in terms.CLOSED_SLOTS or now >= _at(slot.date, slot.end_time, zone):
        return terms.UNAVAILABLE
    if slot.status is SlotStatus.FULL or slot.regular_seats_left <= 0:
        return terms.BUSY
    return terms.FREE


def slot(found: SlotView, doctor: DoctorView, now: datetime, zone: ZoneInfo) -> Resource:
    """One Slot per dated slot; the seats a regular patient can still get are its ``slot-capacity``."""
    status = slot_status(found, now, zone)
    left = found.regular_seats_left if status == terms.FREE else 0
    waiting = f", {found.waitlist_count} waiting" if found.waitlist_count else ""
    return {
        "resourceType": "Slot",
        "id": slot_id(doctor.id, found.date, found.start_time, found.end_time),
        "extension": [{"url": terms.SLOT_CAPACITY, "valueInteger": left}],
        "identifier": [{"system": terms.SLOT_ID, "value": str(found.id)}],
        "specialty": _specialty(doctor.specialization),
        "schedule": reference("Schedule", doctor.id),
        "status": status,
        "start": _at(found.date, found.start_time, zone).isoformat(),
        "end": _at(found.date, found.end_time, zone).isoformat(),
        "comment": f"{found.current_count} of {found.max_capacity} seats taken{waiting}",
    }


def appointment_status(token: TokenView) -> str:
    if token.status is TokenStatus.CONFIRMED and token.checked_in_at is not None:
        return terms.CHECKED_IN
    return terms.APPOINTMENT_STATUS[token.status]


def _patient(token: TokenView) -> dict[str, Any]:
    actor: dict[str, Any] = {"type": "Patient", "display": token.patient_name}
    if token.patient_id is not None:
        actor["identifier"] = {"system": terms.PATIENT_ID, "value": token.patient_id}
    elif token.phone is not None:
        actor["identifier"] = {"system": terms.PHONE, "value": token.phone}
    return {
        "extension": [{"url": terms.PATIENT_AGE, "valueInteger": token.patient_age}],
        "actor": actor,
        "required": "required",
        "status": "accepted",
    }


def appointment(token: TokenView, zone: ZoneInfo) -> Resource:
    """A token: ``start`` is its current estimated time (the slot's start until one is known), ``priority`` its
    source's (1 emergency … 5 walk-in), ``identifier`` its token number."""
    start = token.estimated_time or _at(token.date, token.time_slot.start_time, zone)
    end = max(_at(token.date, token.time_slot.end_time, zone), start)
    start_time, end_time = (f"{t:%H:%M}" for t in (token.time_slot.start_time, token.time_slot.end_time))
    return {
        "resourceType": "Appointment",
        "id": str(token.id),
        "extension": [{"url": terms.TOKEN_SOURCE, "valueCode": token.source.value}],
        "identifier": [{"system": terms.TOKEN_NUMBER, "value": token.token_number}],
        "status": appointment_status(token),
        "priority": int(token.priority),
        "description": f"OPD token {token.token_number}",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "created": token.created_at.isoformat(),
        "slot": [reference("Slot", slot_id(token.doctor_id, token.date, start_time, end_time))],
        "participant": [
            _patient(token),
            {"actor": reference("Practitioner", token.doctor_id), "required": "required", "status": "accepted"},
        ],
    }
