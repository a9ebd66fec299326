"""Handlers answer an ``Outcome``: the reply body, and a typed request for colleagues where a patient has no seat.

Nothing the domain answers holds a ``suggestedDoctors`` placeholder: the shell adds the key when asked.
"""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from allocator.domain.outcome import AlternativesWanted, NoSeat
from shared.contracts.values import TokenSource, TokenStatus
from shared.errors import ErrorCode, Rejection

from .kit import MONDAY, Clinic, at, rejected, template

MORNING = "09:00-10:00"
LATE = "10:00-11:00"
TUESDAY = MONDAY + timedelta(days=1)


def _wanted(clinic: Clinic) -> AlternativesWanted | None:
    assert clinic.outcome is not None
    assert "suggestedDoctors" not in clinic.outcome.body
    return clinic.outcome.alternatives


def _one_regular_seat_taken(day: Any = MONDAY) -> Clinic:
    """A morning of two seats, one held back for emergencies, the other booked."""
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=1))
    assert clinic.book(slot=MORNING, date=day).status is TokenStatus.CONFIRMED
    return clinic


# -- bookings --------------------------------------------------------------------------------------------------


def test_a_confirmed_booking_wants_no_colleagues() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3))

    clinic.book(slot=MORNING)

    assert _wanted(clinic) is None


def test_a_waitlisted_booking_wants_colleagues_with_a_seat_for_its_source_on_its_day() -> None:
    clinic = _one_regular_seat_taken(TUESDAY)

    waiting = clinic.book(slot=MORNING, source=TokenSource.ONLINE, date=TUESDAY)

    assert waiting.status is TokenStatus.PENDING
    assert _wanted(clinic) == AlternativesWanted(clinic.doctor_id, TUESDAY, TokenSource.ONLINE)
    assert list(clinic.last) == ["token", "doctor", "suggestions"]


@pytest.mark.parametrize(("slot", "code"), [(MORNING, ErrorCode.SLOT_FULL), (None, ErrorCode.NO_CAPACITY)])
def test_a_booking_refused_for_want_of_a_seat_wants_colleagues(slot: str | None, code: ErrorCode) -> None:
    clinic = _one_regular_seat_taken()

    with rejected(code) as caught:
        clinic.book(slot=slot, waitlist=False, source=TokenSource.FOLLOWUP)

    assert isinstance(caught.value, NoSeat)
    assert caught.value.alternatives == AlternativesWanted(clinic.doctor_id, MONDAY, TokenSource.FOLLOWUP)
    assert list(caught.value.details) == ["timeSlot", "suggestions"]


def test_other_refusals_want_no_colleagues() -> None:
    clinic = _one_regular_seat_taken()
    holder = clinic.day.tokens[0]

    with rejected(ErrorCode.DUPLICATE_TOKEN) as caught:
        clinic.book(holder.patient.name, holder.patient.age, slot=MORNING)

    assert type(caught.value) is Rejection


# -- emergencies -----------------------------------------------------------------------------------------------


def test_a_placed_emergency_wants_no_colleagues() -> None:
    clinic = _one_regular_seat_taken()

    clinic.emergency()

    assert _wanted(clinic) is None


@pytest.mark.parametrize("through_booking", [False, True], ids=["AddEmergency", "BookToken"])
def test_an_emergency_without_a_seat_wants_colleagues_with_an_emergency_seat(through_booking: bool) -> None:
    clinic = _one_regular_seat_taken()
    clinic.emergency()  # the reserved seat
    clinic.emergency()  # the overflow seat

    with rejected(ErrorCode.NO_EMERGENCY_CAPACITY) as caught:
        clinic.book(source=TokenSource.EMERGENCY) if through_booking else clinic.emergency()

    assert isinstance(caught.value, NoSeat)
    assert caught.value.alternatives == AlternativesWanted(clinic.doctor_id, MONDAY, TokenSource.EMERGENCY)
    assert caught.value.details == {}


# -- a doctor away ---------------------------------------------------------------------------------------------


def test_patients_displaced_without_a_seat_want_colleagues_for_a_walk_in() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3), template(LATE, capacity=3))
    clinic.book(slot=MORNING, date=TUESDAY)

    result = clinic.unavailable(day=TUESDAY)

    assert result["cancelled"] and list(result)[-1] == "changed"
    assert _wanted(clinic) == AlternativesWanted(clinic.doctor_id, TUESDAY, TokenSource.WALKIN)


def test_patients_waitlisted_by_an_absence_want_colleagues() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3), template(LATE, capacity=2))
    clinic.book(slot=MORNING)
    clinic.book(slot=MORNING)

    result = clinic.unavailable(between=MORNING)

    assert result["waitlisted"] and not result["cancelled"]
    assert _wanted(clinic) == AlternativesWanted(clinic.doctor_id, MONDAY, TokenSource.WALKIN)


@pytest.mark.parametrize("booked", [0, 1])
def test_an_absence_that_leaves_everyone_a_seat_wants_no_colleagues(booked: int) -> None:
    clinic = Clinic.open(template(MORNING, capacity=3), template(LATE, capacity=3))
    for _ in range(booked):
        clinic.book(slot=MORNING)

    result = clinic.unavailable(between=MORNING)

    assert len(result["moved"]) == booked and not result["waitlisted"] and not result["cancelled"]
    assert _wanted(clinic) is None


# -- the rest of the day ---------------------------------------------------------------------------------------


def test_the_days_other_commands_want_no_colleagues() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4), template(LATE, capacity=4))
    for _ in range(4):
        clinic.book(slot=MORNING)
    clinic.now = at(9, 5)
    steps: list[Callable[[], object]] = [
        lambda: clinic.check_in("T001"),
        lambda: clinic.call_next(),
        lambda: clinic.recall("T001"),
        lambda: clinic.complete("T002"),
        lambda: clinic.no_show(clinic.token("T003").token_number),
        lambda: clinic.cancel(clinic.token("T004").token_number),
        lambda: clinic.delay(10),
        lambda: clinic.reallocate(),
        lambda: clinic.update_slots(template(MORNING, capacity=2)),
    ]
    for step in steps:
        step()
        assert _wanted(clinic) is None
