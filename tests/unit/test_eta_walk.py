"""What the ETA walk counts: a patient not here yet by the chance they still come, a check-in at once, the order
the doctor will call in, and exact durations rounded only when told."""

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.domain.policy import Policy
from shared.contracts.events import TokenCheckedIn, TokenEtaChanged

from .kit import EVERYONE_COMES, ZONE, Clinic, at, events_of, template

MORNING = "09:00-10:00"
LATE = "10:00-11:00"


def _etas(clinic: Clinic, *numbers: str) -> list[datetime | None]:
    return [clinic.view(number).estimated_time for number in numbers]


def test_a_patient_not_here_yet_counts_by_the_chance_they_still_come() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=0), now=at(8, 30))  # 10 minutes; 0.8 come
    first, second, third = (clinic.book().short_number for _ in range(3))

    assert _etas(clinic, first, second, third) == [at(9), at(9, 8), at(9, 16)]

    clinic.check_in(first)  # here: a whole consultation

    assert _etas(clinic, first, second, third) == [at(9), at(9, 10), at(9, 18)]


def test_everyone_counts_whole_when_everyone_comes() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=0), now=at(8, 30), policy=EVERYONE_COMES)
    numbers = [clinic.book().short_number for _ in range(3)]

    assert _etas(clinic, *numbers) == [at(9), at(9, 10), at(9, 20)]


def test_a_check_in_tells_the_time_the_patient_now_has() -> None:
    """In a slot that has started the patients here go first: the desk tells the new time, and the patient
    passed over, not here yet, hears of it when it moved enough from what they were told (09:00, at booking)."""
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=0), now=at(8, 30))
    away, here = clinic.book().short_number, clinic.book().short_number
    clinic.now = at(9, 5)
    clinic.tick()
    assert _etas(clinic, away, here) == [at(9, 5), at(9, 13)]
    clinic.take_events()

    clinic.check_in(here)

    events = clinic.take_events()
    [checked_in] = events_of(events, TokenCheckedIn)
    assert checked_in.payload.token.estimated_time == at(9, 5)
    [notice] = events_of(events, TokenEtaChanged)
    assert notice.payload.token.short_number == away
    assert (notice.payload.previous_estimated_time, notice.payload.token.estimated_time) == (at(9), at(9, 15))


def test_before_the_first_slot_a_patient_here_keeps_their_place_in_the_queue() -> None:
    """The doctor will call the slot's patients in queue order once it starts, and most of those booked before
    will be here by then: checking in early does not jump them, nor a later slot's patient."""
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=0), template(LATE, capacity=6), now=at(8))
    first, second = clinic.book(slot=MORNING).short_number, clinic.book(slot=MORNING).short_number
    later = clinic.book(slot=LATE).short_number
    clinic.now = at(8, 40)

    clinic.check_in(second)
    clinic.check_in(later)

    assert _etas(clinic, first, second, later) == [at(9), at(9, 8), at(10)]
    assert clinic.day.call_order(clinic.now)[0].short_number == second  # a doctor starting early sees who is here


def test_rounding_to_the_minute_does_not_pile_up_along_the_queue() -> None:
    clinic = Clinic.open(template(MORNING, capacity=8, reserved=0), now=at(8, 30), policy=EVERYONE_COMES)
    numbers = [clinic.book().short_number for _ in range(5)]  # 7.5 minutes each

    assert _etas(clinic, *numbers) == [at(9), at(9, 8), at(9, 15), at(9, 23), at(9, 30)]


@settings(max_examples=100, deadline=None)
@given(
    capacity=st.integers(3, 12),  # at least 12 seats
    show_chance=st.floats(0, 1),
    here=st.lists(st.booleans(), min_size=1, max_size=12),
)
def test_before_the_slot_each_patient_is_due_after_the_turns_of_those_ahead(
    capacity: int, show_chance: float, here: list[bool]
) -> None:
    """A whole consultation for each patient here, ``show_chance`` of one for each not here yet, added exactly and
    rounded up to the minute only when told."""
    clinic = Clinic.open(
        template("09:00-13:00", capacity=capacity * 4, reserved=0),
        now=at(8),
        policy=Policy(zone=ZONE, show_chance=show_chance),
    )
    numbers = [clinic.book().short_number for _ in here]
    clinic.now = at(8, 30)
    for number, present in zip(numbers, here, strict=True):
        if present:
            clinic.check_in(number)
    clinic.tick()

    consult = timedelta(minutes=60 / capacity)
    due = at(9)
    for number, present in zip(numbers, here, strict=True):
        told = due.replace(second=0, microsecond=0)
        told += timedelta(minutes=1) if told != due else timedelta(0)
        assert _etas(clinic, number) == [told]
        due += consult if present else consult * show_chance
