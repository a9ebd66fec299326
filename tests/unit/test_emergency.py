"""Emergencies: reserved seats first, then one overflow seat, then a later slot of the day, else refused."""

from allocator.domain.outcome import NoSeat
from shared.contracts.values import TokenSource, TokenStatus
from shared.errors import ErrorCode

from .kit import Clinic, rejected, template

MORNING = "09:00-10:00"
LATE = "10:00-11:00"


def _full_for_regulars(clinic: Clinic, label: str, regulars: int) -> None:
    for _ in range(regulars):
        assert clinic.book(slot=label).status is TokenStatus.CONFIRMED
    assert clinic.day.regular_seats_left(clinic.slot(label), clinic.now, True) == 0


def test_an_emergency_takes_a_reserved_seat() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=1))
    _full_for_regulars(clinic, MORNING, 2)

    emergency = clinic.emergency()

    assert (emergency.status, emergency.overflow, emergency.is_emergency) == (TokenStatus.CONFIRMED, False, True)
    assert emergency.time_slot.label() == MORNING


def test_emergencies_use_every_reserved_seat_before_the_overflow() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4, reserved=2))
    _full_for_regulars(clinic, MORNING, 2)

    first, second, third = clinic.emergency(), clinic.emergency(), clinic.emergency()

    assert [t.overflow for t in (first, second, third)] == [False, False, True]
    assert {t.time_slot.label() for t in (first, second, third)} == {MORNING}


def test_exactly_one_overflow_seat_then_the_next_slot_of_the_day() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=1), template(LATE, capacity=3, reserved=1))
    _full_for_regulars(clinic, MORNING, 2)

    reserved, overflow, moved_on = clinic.emergency(), clinic.emergency(), clinic.emergency()

    assert not reserved.overflow
    assert overflow.overflow and overflow.time_slot.label() == MORNING
    occupied = clinic.day.occupancy(clinic.slot(MORNING))
    assert occupied.regular + occupied.emergency == 3 + 1
    assert (moved_on.time_slot.label(), moved_on.status, moved_on.overflow) == (LATE, TokenStatus.CONFIRMED, False)


def test_no_emergency_capacity_when_no_slot_of_the_day_can_take_it() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=1))
    _full_for_regulars(clinic, MORNING, 1)
    clinic.emergency()
    clinic.emergency()

    with rejected(ErrorCode.NO_EMERGENCY_CAPACITY) as caught:
        clinic.emergency()

    assert isinstance(caught.value, NoSeat) and caught.value.alternatives.source is TokenSource.EMERGENCY
    assert len(clinic.day.tokens) == 3


def test_a_requested_slot_is_tried_first_then_later_ones() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=1), template(LATE, capacity=2, reserved=1))

    assert clinic.emergency(slot=LATE).time_slot.label() == LATE


def test_an_emergency_booked_through_book_token_follows_the_emergency_rule() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=1))
    _full_for_regulars(clinic, MORNING, 1)

    token = clinic.book(source=TokenSource.EMERGENCY, waitlist=False)

    assert token.is_emergency and token.short_number == "E01"
    assert token.status is TokenStatus.CONFIRMED


def test_emergencies_beyond_the_reserve_shrink_the_regular_seats() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4, reserved=1))
    clinic.emergency()
    clinic.emergency()

    regulars = [clinic.book(slot=MORNING) for _ in range(3)]

    assert [t.status for t in regulars] == [TokenStatus.CONFIRMED, TokenStatus.CONFIRMED, TokenStatus.PENDING]
