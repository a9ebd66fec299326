"""Where else the patient can go: the ``nextSlot`` of date and slot refusals, and other doctors of the same
specialization with the earliest seat (``allocator.domain.alternatives.suggest_doctors``)."""

from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from allocator.domain.alternatives import seats_of_day, suggest_doctors
from allocator.domain.day import Day
from allocator.domain.model import Doctor
from shared.contracts.values import TokenSource, Weekday
from shared.errors import ErrorCode

from .kit import MONDAY, SUNDAY, Clinic, at, rejected, template

MORNING = "09:00-10:00"
LATE = "10:00-11:00"
NOON = "11:00-12:00"
TUESDAY = MONDAY + timedelta(days=1)
WEDNESDAY = MONDAY + timedelta(days=2)


def _next(day: date, label: str) -> dict[str, str]:
    return {"date": str(day), "timeSlot": label}


# -- nextSlot -------------------------------------------------------------------------------------------


def test_an_ended_slot_points_at_the_next_open_slot_of_the_day() -> None:
    clinic = Clinic.open(template(MORNING, 3), template(LATE, 3), now=at(10, 30))

    with rejected(ErrorCode.SLOT_ENDED) as caught:
        clinic.book(slot=MORNING)

    assert caught.value.details["nextSlot"] == _next(MONDAY, LATE), "10:00-11:00 has started, not ended"


def test_an_ended_last_slot_points_at_the_next_working_day() -> None:
    clinic = Clinic.open(template(MORNING, 3), template(LATE, 3), now=at(11))

    with rejected(ErrorCode.SLOT_ENDED) as caught:
        clinic.book(slot=LATE)

    assert caught.value.details["nextSlot"] == _next(TUESDAY, MORNING)


def test_a_day_off_points_at_the_next_working_day() -> None:
    clinic = Clinic.open(template(LATE, 3), working_days=(Weekday.MONDAY, Weekday.WEDNESDAY))

    with rejected(ErrorCode.NOT_WORKING_DAY) as caught:
        clinic.book(date=TUESDAY)
    assert caught.value.details["nextSlot"] == _next(WEDNESDAY, LATE)
    assert caught.value.details["workingDays"] == ["Monday", "Wednesday"]

    with rejected(ErrorCode.NOT_WORKING_DAY) as caught:
        clinic.book(date=SUNDAY)
    assert caught.value.details["nextSlot"] == _next(SUNDAY + timedelta(days=1), LATE)


def test_a_past_date_points_at_the_first_open_slot_from_now() -> None:
    clinic = Clinic.open(template(MORNING, 3), template(LATE, 3), now=at(9, 30))

    with rejected(ErrorCode.DATE_OUT_OF_RANGE) as caught:
        clinic.book(date=MONDAY - timedelta(days=1))

    assert caught.value.details["nextSlot"] == _next(MONDAY, MORNING), "09:00-10:00 is still open at 09:30"


def test_a_date_beyond_the_horizon_points_at_the_first_open_slot_from_now() -> None:
    clinic = Clinic.open(template(MORNING, 3), now=at(10, 30))
    horizon = clinic.ws.policy.booking_horizon_days

    with rejected(ErrorCode.DATE_OUT_OF_RANGE) as caught:
        clinic.book(date=MONDAY + timedelta(days=horizon + 1))

    assert caught.value.details["nextSlot"] == _next(TUESDAY, MORNING)


def test_no_open_slot_today_points_at_the_next_working_day() -> None:
    clinic = Clinic.open(template(MORNING, 3), now=at(12), working_days=(Weekday.MONDAY, Weekday.WEDNESDAY))

    with rejected(ErrorCode.NO_OPEN_SLOT) as caught:
        clinic.book()

    assert caught.value.details["nextSlot"] == _next(WEDNESDAY, MORNING)


def test_a_slot_outside_the_schedule_points_at_the_first_open_slot_of_that_day() -> None:
    clinic = Clinic.open(template(MORNING, 3), template(LATE, 3), now=at(10, 5))

    with rejected(ErrorCode.SLOT_NOT_IN_SCHEDULE) as caught:
        clinic.book(slot=NOON)
    assert caught.value.details["nextSlot"] == _next(MONDAY, LATE)

    with rejected(ErrorCode.SLOT_NOT_IN_SCHEDULE) as caught:
        clinic.book(slot=NOON, date=TUESDAY)
    assert caught.value.details["nextSlot"] == _next(TUESDAY, MORNING)


def test_the_next_slot_skips_the_cancelled_slots_of_a_loaded_day() -> None:
    clinic = Clinic.open(template(MORNING, 3), template(LATE, 3), now=at(11))
    clinic.unavailable(day=TUESDAY)
    clinic.unavailable(day=WEDNESDAY, between="09:00-10:00")

    with rejected(ErrorCode.SLOT_ENDED) as caught:
        clinic.book(slot=LATE)

    assert caught.value.details["nextSlot"] == _next(WEDNESDAY, LATE)


def test_no_next_slot_within_the_horizon_is_none() -> None:
    clinic = Clinic.open(template(MORNING, 3), now=at(10, 30))
    clinic.ws.policy = replace(clinic.ws.policy, booking_horizon_days=0)

    with rejected(ErrorCode.SLOT_ENDED) as caught:
        clinic.book(slot=MORNING)

    assert caught.value.details["nextSlot"] is None


# -- other doctors of the same specialization ------------------------------------------------------------


def _seats(clinic: Clinic, colleagues: list[UUID], day: date = MONDAY) -> tuple[dict[UUID, Any], list[Doctor]]:
    """As the allocator's shell does: the colleagues' days it holds, as seats (the others come from templates)."""
    doctors = [clinic.ws.doctors[doctor_id] for doctor_id in colleagues]
    held = {doctor.id: clinic.ws.days.get((doctor.id, day)) for doctor in doctors}
    return {doctor_id: seats_of_day(held_day) for doctor_id, held_day in held.items() if held_day}, doctors


def _suggest(
    clinic: Clinic, colleagues: list[UUID], source: TokenSource, now: datetime | None = None, limit: int = 3
) -> list[dict[str, Any]]:
    seats, doctors = _seats(clinic, colleagues)
    return suggest_doctors(clinic.ws.policy, doctors, seats, MONDAY, source, now or clinic.now, limit)


def _day(clinic: Clinic, doctor_id: UUID) -> Day:
    return clinic.ws.day(clinic.ws.doctors[doctor_id], MONDAY)


def test_colleagues_are_suggested_earliest_seat_first_skipping_days_off_and_full_slots() -> None:
    clinic = Clinic.open()
    busy = clinic.colleague("Dr. Busy", template(MORNING, 2, reserved=1), template(NOON, 3))
    late = clinic.colleague("Dr. Late", template(LATE, 3))
    away = clinic.colleague("Dr. Away", template(MORNING, 3), working_days=(Weekday.TUESDAY,))
    early = clinic.colleague("Dr. Early", template(MORNING, 4))
    clinic.book(slot=MORNING, doctor_id=busy)  # 09:00 of Dr. Busy has no regular seat left

    found = _suggest(clinic, [busy, late, away, early], TokenSource.WALKIN)

    assert [(s["name"], s["timeSlot"]) for s in found] == [
        ("Dr. Early", MORNING),
        ("Dr. Late", LATE),
        ("Dr. Busy", NOON),
    ]
    first = found[0]
    assert first == {
        "doctorId": str(early),
        "name": "Dr. Early",
        "specialization": "ENT",
        "room": None,
        "date": str(MONDAY),
        "timeSlot": MORNING,
        "earliestTime": at(9).isoformat(),
    }


def test_the_limit_keeps_the_earliest() -> None:
    clinic = Clinic.open()
    colleagues = [clinic.colleague(f"Dr. {label}", template(label, 3)) for label in (NOON, LATE, MORNING)]

    found = _suggest(clinic, colleagues, TokenSource.WALKIN, limit=2)

    assert [s["timeSlot"] for s in found] == [MORNING, LATE]
    assert _suggest(clinic, colleagues, TokenSource.WALKIN, limit=1)[0]["name"] == f"Dr. {MORNING}"


def test_a_started_slot_offers_now_and_an_ended_one_is_skipped() -> None:
    clinic = Clinic.open()
    running = clinic.colleague("Dr. Running", template(MORNING, 3))
    later = clinic.colleague("Dr. Later", template("09:00-09:30", 3), template(NOON, 3))

    found = _suggest(clinic, [later, running], TokenSource.WALKIN, now=at(9, 40))

    assert [(s["name"], s["earliestTime"]) for s in found] == [
        ("Dr. Running", at(9, 40).isoformat()),
        ("Dr. Later", at(11).isoformat()),
    ]


def test_a_colleague_with_no_seat_for_the_source_is_skipped() -> None:
    clinic = Clinic.open()
    no_online = clinic.colleague("Dr. Desk", template(MORNING, 4, reserved=0, quotas={TokenSource.ONLINE: 0}))
    held = clinic.colleague("Dr. Held", template(MORNING, 3, reserved=1, quotas={TokenSource.PRIORITY: 2}))
    full = clinic.colleague("Dr. Full", template(MORNING, 2, reserved=0))
    clinic.book(slot=MORNING, doctor_id=full)
    clinic.book(slot=MORNING, doctor_id=full)

    assert [s["name"] for s in _suggest(clinic, [no_online, held, full], TokenSource.ONLINE)] == []
    assert [s["name"] for s in _suggest(clinic, [no_online, held, full], TokenSource.WALKIN)] == ["Dr. Desk"]
    assert [s["name"] for s in _suggest(clinic, [no_online, held, full], TokenSource.PRIORITY)] == [
        "Dr. Desk",
        "Dr. Held",
    ]


def test_a_waiting_patient_keeps_a_released_seat_from_a_newcomer_elsewhere() -> None:
    clinic = Clinic.open()
    colleague = clinic.colleague("Dr. Queue", template(MORNING, 2, reserved=1))
    clinic.book(slot=MORNING, doctor_id=colleague)
    clinic.book(slot=MORNING, doctor_id=colleague)  # waits; at 09:00 the reserve is released to them

    assert _suggest(clinic, [colleague], TokenSource.WALKIN, now=at(9, 5)) == []
    assert [s["name"] for s in _suggest(clinic, [colleague], TokenSource.PRIORITY, now=at(9, 5))] == ["Dr. Queue"]


def test_an_emergency_is_offered_reserved_and_overflow_seats() -> None:
    clinic = Clinic.open()
    reserve = clinic.colleague("Dr. Reserve", template(MORNING, 2, reserved=1))
    overflow = clinic.colleague("Dr. Overflow", template(MORNING, 2, reserved=1))
    spent = clinic.colleague("Dr. Spent", template(MORNING, 2, reserved=1), template(NOON, 2, reserved=1))
    for doctor_id in (reserve, overflow, spent):
        clinic.book(slot=MORNING, doctor_id=doctor_id)  # no regular seat left: N + R = C
    clinic.emergency(slot=MORNING, doctor_id=overflow)  # N + E = C: only the overflow seat is left
    clinic.emergency(slot=MORNING, doctor_id=spent)
    clinic.emergency(slot=MORNING, doctor_id=spent)  # the overflow seat is used

    walkin = _suggest(clinic, [reserve, overflow, spent], TokenSource.WALKIN)
    assert [(s["name"], s["timeSlot"]) for s in walkin] == [("Dr. Spent", NOON)]
    found = _suggest(clinic, [spent, overflow, reserve], TokenSource.EMERGENCY)
    assert [(s["name"], s["timeSlot"]) for s in found] == [
        ("Dr. Overflow", MORNING),
        ("Dr. Reserve", MORNING),
        ("Dr. Spent", NOON),
    ], "equal times keep the colleagues' order; Dr. Spent only has 11:00 left"


def test_suggestions_do_not_change_the_colleagues_days() -> None:
    clinic = Clinic.open()
    colleague = clinic.colleague("Dr. Other", template(MORNING, 3))
    clinic.book(slot=MORNING, doctor_id=colleague)
    tokens_before = [(t.id, t.status, t.slot_id) for t in _day(clinic, colleague).tokens]
    changes_before = (dict(clinic.ws.changes.tokens), dict(clinic.ws.changes.slots), list(clinic.ws.changes.events))
    seats, doctors = _seats(clinic, [colleague])

    suggest_doctors(clinic.ws.policy, doctors, seats, MONDAY, TokenSource.WALKIN, clinic.now)

    assert [(t.id, t.status, t.slot_id) for t in _day(clinic, colleague).tokens] == tokens_before
    changes_after = (dict(clinic.ws.changes.tokens), dict(clinic.ws.changes.slots), list(clinic.ws.changes.events))
    assert changes_after == changes_before
