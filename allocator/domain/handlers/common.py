"""Lookups and checks shared by handlers. Each raises a Rejection before anything is changed."""

from datetime import date, datetime, timedelta
from uuid import UUID

from allocator.domain.day import Day
from allocator.domain.model import Doctor, Slot, Token
from allocator.domain.views import token_view
from allocator.domain.workspace import Workspace
from shared.contracts.values import SlotStatus, TimeRange, TokenSource
from shared.errors import ErrorCode, Rejection


def require_doctor(ws: Workspace, doctor_id: UUID) -> Doctor:
    doctor = ws.doctors.get(doctor_id)
    if doctor is None:
        raise Rejection(ErrorCode.DOCTOR_NOT_FOUND, f"doctor {doctor_id} not found", doctorId=str(doctor_id))
    return doctor


def require_token(ws: Workspace, doctor_id: UUID, ref: str) -> tuple[Day, Token]:
    found = ws.find_token(doctor_id, ref)
    if found is None:
        raise Rejection(ErrorCode.TOKEN_NOT_FOUND, f"token {ref} not found", tokenId=ref)
    return found


def next_possible_slot(ws: Workspace, doctor: Doctor, first: date, now: datetime) -> dict[str, str] | None:
    """The first slot of the doctor's schedule on or after ``first`` (within the horizon) that is still open."""
    today = ws.today(now)
    day = max(first, today)
    while day <= today + timedelta(days=ws.policy.booking_horizon_days):
        if doctor.works_on(day):
            loaded = ws.days.get((doctor.id, day))
            if loaded is not None and loaded.slots:
                labels = [slot.label() for slot in loaded.open_slots(now)]
            else:
                labels = [t.label() for t in doctor.templates if ws.at(day, t.end_time) > now]
            if labels:
                return {"date": str(day), "timeSlot": labels[0]}
        day += timedelta(days=1)
    return None


def check_bookable_date(ws: Workspace, doctor: Doctor, day: date, now: datetime) -> None:
    today = ws.today(now)
    last = today + timedelta(days=ws.policy.booking_horizon_days)
    if not today <= day <= last:
        raise Rejection(
            ErrorCode.DATE_OUT_OF_RANGE,
            f"bookings are taken from {today} to {last}",
            date=str(day),
            firstDate=str(today),
            lastDate=str(last),
            nextSlot=next_possible_slot(ws, doctor, today, now),
        )
    if not doctor.works_on(day):
        raise Rejection(
            ErrorCode.NOT_WORKING_DAY,
            f"{doctor.name} does not work on {day:%A}s",
            date=str(day),
            workingDays=[weekday.value for weekday in doctor.working_days],
            nextSlot=next_possible_slot(ws, doctor, day, now),
        )


def requested_slot(ws: Workspace, day: Day, wanted: TimeRange, now: datetime) -> Slot:
    """The slot a request names; it must exist in the schedule, be open and not have ended."""
    slot = next((s for s in day.slots if s.start_time == wanted.start_time and s.end_time == wanted.end_time), None)
    problem = None
    if slot is None:
        problem = (ErrorCode.SLOT_NOT_IN_SCHEDULE, f"{wanted.label()} is not one of the doctor's slots on {day.date}")
    elif slot.status is SlotStatus.CANCELLED:
        problem = (ErrorCode.SLOT_CANCELLED, f"slot {slot.label()} on {day.date} is cancelled: {slot.status_reason}")
    elif now >= slot.ends_at:
        problem = (ErrorCode.SLOT_ENDED, f"slot {slot.label()} on {day.date} has ended")
    if problem is not None:
        code, message = problem
        raise Rejection(
            code,
            message,
            timeSlot=wanted.label(),
            slots=[s.label() for s in day.slots],
            nextSlot=next_possible_slot(ws, day.doctor, day.date, now),
        )
    assert slot is not None
    return slot


def invalid_transition(token: Token, message: str) -> Rejection:
    """A 409 for a step the token's status does not allow, naming the token and its status."""
    return Rejection(ErrorCode.INVALID_TRANSITION, message, tokenNumber=token.token_number, status=token.status.value)


def refuse_duplicate(day: Day, key: str) -> None:
    existing = day.active_token_of(key)
    if existing is not None:
        raise Rejection(
            ErrorCode.DUPLICATE_TOKEN,
            "this patient already holds an active token with this doctor on this date",
            existingToken=token_view(day, existing).model_dump(mode="json"),
        )


def has_seat(ws: Workspace, day: Day, slot: Slot, source: TokenSource, now: datetime) -> bool:
    """Whether a new token of this regular source gets a seat in the slot now (``Day.seat_for_newcomer``).

    Where no regular patient can get a seat at all (a full slot, a kept answer), neither can the newcomer.
    """
    release = ws.policy.release_reserve_at_start
    return day.any_regular_seat(slot, now, release) and day.seat_for_newcomer(slot, source, now, release)


def seat_suggestions(
    ws: Workspace, day: Day, now: datetime, source: TokenSource, exclude: Slot | None = None
) -> list[dict[str, object]]:
    """Other open slots of the doctor that day where a token of this regular source would get a seat."""
    release = ws.policy.release_reserve_at_start
    suggestions: list[dict[str, object]] = []
    for slot in day.open_slots(now):
        if slot is exclude:
            continue
        ledger = day.ledger(slot, now, release)
        seats_left = ledger.seats_for(source)  # before the newcomer's check takes the waitlist's seats on it
        if seats_left and day.newcomer_seated_on(slot, source, ledger):
            suggestions.append({"date": str(day.date), "timeSlot": slot.label(), "seatsLeft": seats_left})
    return suggestions
