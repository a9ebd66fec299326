"""Regular bookings: the seat rule, the waitlist, duplicates, date and slot validation, token numbers."""

from datetime import timedelta
from uuid import uuid4

from allocator.domain.model import Patient
from allocator.domain.rules import patient_key
from shared.contracts.events import TokenConfirmed, TokenWaitlisted
from shared.contracts.values import SlotStatus, TokenSource, TokenStatus
from shared.errors import ErrorCode

from .kit import MONDAY, SUNDAY, Clinic, at, event_types, rejected, template, type_of

MORNING = "09:00-10:00"
LATE = "10:00-11:00"


# -- the seat rule: N + max(E, R) < C ---------------------------------------------------------------------


def test_regular_tokens_confirm_while_a_seat_is_left_then_waitlist_with_positions() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4, reserved=1))

    confirmed = [clinic.book(slot=MORNING) for _ in range(3)]
    first_waiting = clinic.book(slot=MORNING)
    second_waiting = clinic.book(slot=MORNING)

    assert [t.status for t in confirmed] == [TokenStatus.CONFIRMED] * 3
    assert [t.position for t in confirmed] == [1, 2, 3]
    assert (first_waiting.status, first_waiting.waitlist_position) == (TokenStatus.PENDING, 1)
    assert (second_waiting.status, second_waiting.waitlist_position) == (TokenStatus.PENDING, 2)
    assert first_waiting.position is None and first_waiting.estimated_time is None
    assert clinic.slot(MORNING).status is SlotStatus.FULL


def test_waitlisted_reply_carries_seat_suggestions_and_emits_waitlisted() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2), template(LATE, capacity=3))
    clinic.book(slot=MORNING)
    clinic.take_events()

    waiting = clinic.book(slot=MORNING)

    assert waiting.status is TokenStatus.PENDING
    assert [s["timeSlot"] for s in clinic.last["suggestions"]["slots"]] == [LATE]
    assert event_types(clinic.take_events()) == [type_of(TokenWaitlisted)]


def test_full_slot_without_waitlist_is_refused_with_suggestions() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2), template(LATE, capacity=3))
    clinic.book(slot=MORNING)

    with rejected(ErrorCode.SLOT_FULL) as caught:
        clinic.book(slot=MORNING, waitlist=False)

    suggestions = caught.value.details["suggestions"]["slots"]
    assert [(s["timeSlot"], s["seatsLeft"]) for s in suggestions] == [(LATE, 2)]


def test_booking_without_slot_and_without_waitlist_is_refused_when_no_seat_is_left() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2))
    clinic.book()

    with rejected(ErrorCode.NO_CAPACITY) as caught:
        clinic.book(waitlist=False)

    assert caught.value.details["suggestions"] == {"slots": []}


def test_booking_without_slot_takes_the_earliest_slot_with_a_seat() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2), template(LATE, capacity=3))

    first, second = clinic.book(), clinic.book()

    assert first.time_slot.label() == MORNING
    assert second.time_slot.label() == LATE
    assert second.status is TokenStatus.CONFIRMED


def test_reserved_seats_are_held_before_the_slot_starts() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4, reserved=2))

    tokens = [clinic.book(slot=MORNING) for _ in range(3)]

    assert [t.status for t in tokens] == [TokenStatus.CONFIRMED, TokenStatus.CONFIRMED, TokenStatus.PENDING]


def test_regular_bookings_can_take_reserved_seats_once_the_slot_has_started() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=1), now=at(9, 5))

    tokens = [clinic.book(slot=MORNING) for _ in range(4)]

    assert [t.status for t in tokens] == [TokenStatus.CONFIRMED] * 3 + [TokenStatus.PENDING]


def test_a_slot_full_but_for_its_reserve_is_open_again_once_it_starts() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=1))
    clinic.book(slot=MORNING)
    assert clinic.slot(MORNING).status is SlotStatus.FULL

    clinic.now = at(9, 5)
    clinic.tick()

    assert clinic.slot(MORNING).status is SlotStatus.AVAILABLE


def test_released_reserve_goes_to_the_waiting_patient_before_a_newcomer() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=1))
    clinic.book(slot=MORNING)
    clinic.book(slot=MORNING)
    waiting = clinic.book(slot=MORNING)
    assert waiting.status is TokenStatus.PENDING

    clinic.now = at(9, 5)
    newcomer = clinic.book(slot=MORNING)

    assert clinic.view(waiting.short_number).status is TokenStatus.CONFIRMED
    assert (newcomer.status, newcomer.waitlist_position) == (TokenStatus.PENDING, 1)


def test_a_newcomer_of_better_priority_may_take_a_released_seat_ahead_of_the_waitlist() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=1))
    clinic.book(slot=MORNING)
    clinic.book(slot=MORNING)
    waiting = clinic.book(slot=MORNING)

    clinic.now = at(9, 5)
    paid = clinic.book(slot=MORNING, source=TokenSource.PRIORITY)

    assert paid.status is TokenStatus.CONFIRMED
    assert clinic.view(waiting.short_number).waitlist_position == 1


# -- duplicates -----------------------------------------------------------------------------------------


def test_same_phone_same_doctor_same_date_is_a_duplicate() -> None:
    clinic = Clinic.open()
    first = clinic.book("Asha Rao", phone="+91 98765-43210")

    with rejected(ErrorCode.DUPLICATE_TOKEN) as caught:
        clinic.book("Someone Else", age=61, phone="9876543210")

    assert caught.value.details["existingToken"]["tokenNumber"] == first.token_number


def test_same_normalized_name_and_age_is_a_duplicate() -> None:
    clinic = Clinic.open()
    first = clinic.book("Asha  Rao", age=34)

    with rejected(ErrorCode.DUPLICATE_TOKEN) as caught:
        clinic.book("  asha rao ", age=34)

    assert caught.value.details["existingToken"]["id"] == str(first.id)


def test_same_name_with_another_age_is_another_patient() -> None:
    clinic = Clinic.open()
    clinic.book("Asha Rao", age=34)

    assert clinic.book("Asha Rao", age=8).status is TokenStatus.CONFIRMED


def test_patient_keys_keep_the_form_they_are_stored_in() -> None:
    """Each token stores its key (``tokens.patient_key``); a new booking is matched against keys stored earlier."""
    assert patient_key(Patient(" Asha Rao ", 34, patient_id=" MRN-12 ")) == "id:mrn-12"
    assert patient_key(Patient("Asha Rao", 34, phone="+91 98765-43210")) == "phone:9876543210"
    assert patient_key(Patient("  Asha \t RAO ", 34)) == "name:asha rao|34"


def test_an_emergency_for_a_patient_with_an_active_token_is_a_duplicate() -> None:
    clinic = Clinic.open()
    clinic.book("Asha Rao", age=34)

    with rejected(ErrorCode.DUPLICATE_TOKEN):
        clinic.emergency("Asha Rao", age=34)


def test_a_waitlisted_token_also_counts_as_active() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2))
    clinic.book()
    assert clinic.book("Asha Rao", patient_id="P-1").status is TokenStatus.PENDING

    with rejected(ErrorCode.DUPLICATE_TOKEN):
        clinic.book("A. Rao", patient_id="p-1")


def test_booking_again_after_cancelling_works() -> None:
    clinic = Clinic.open()
    first = clinic.book("Asha Rao", phone="9876543210")
    clinic.cancel(first.token_number)

    again = clinic.book("Asha Rao", phone="9876543210")

    assert again.status is TokenStatus.CONFIRMED
    assert again.token_number != first.token_number


# -- validation ------------------------------------------------------------------------------------------


def test_a_day_the_doctor_does_not_work_is_refused() -> None:
    with rejected(ErrorCode.NOT_WORKING_DAY):
        Clinic.open().book(date=SUNDAY)


def test_a_past_date_is_refused() -> None:
    with rejected(ErrorCode.DATE_OUT_OF_RANGE):
        Clinic.open().book(date=MONDAY - timedelta(days=2))


def test_a_date_beyond_the_booking_horizon_is_refused() -> None:
    clinic = Clinic.open()
    horizon = clinic.ws.policy.booking_horizon_days

    assert clinic.book(date=MONDAY + timedelta(days=horizon)).status is TokenStatus.CONFIRMED
    with rejected(ErrorCode.DATE_OUT_OF_RANGE) as caught:
        clinic.book(date=MONDAY + timedelta(days=horizon + 1))
    assert caught.value.details["lastDate"] == str(MONDAY + timedelta(days=horizon))


def test_a_slot_outside_the_schedule_is_refused() -> None:
    with rejected(ErrorCode.SLOT_NOT_IN_SCHEDULE) as caught:
        Clinic.open().book(slot="11:00-12:00")

    assert caught.value.details["slots"] == [MORNING]


def test_an_ended_slot_is_refused() -> None:
    clinic = Clinic.open(template(MORNING, 4), template(LATE, 4), now=at(10, 30))

    with rejected(ErrorCode.SLOT_ENDED):
        clinic.book(slot=MORNING)


def test_a_slot_that_started_but_has_not_ended_is_bookable() -> None:
    clinic = Clinic.open(now=at(9, 50))

    assert clinic.book(slot=MORNING).status is TokenStatus.CONFIRMED


def test_no_open_slot_left_today_is_refused() -> None:
    with rejected(ErrorCode.NO_OPEN_SLOT):
        Clinic.open(now=at(12)).book()


def test_an_unknown_doctor_is_refused() -> None:
    clinic = Clinic.open()

    with rejected(ErrorCode.DOCTOR_NOT_FOUND):
        clinic.book(doctor_id=uuid4())


# -- token numbers ---------------------------------------------------------------------------------------


def test_token_numbers_are_unique_and_prefixed_by_kind() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4, reserved=2), template(LATE, capacity=4, reserved=2))

    regular = [clinic.book() for _ in range(5)]
    emergencies = [clinic.emergency() for _ in range(3)]

    assert [t.short_number for t in regular] == ["T001", "T002", "T003", "T004", "T005"]
    assert [t.short_number for t in emergencies] == ["E01", "E02", "E03"]
    assert regular[0].token_number == "D1-20260105-T001"
    numbers = [t.token_number for t in clinic.day.tokens]
    assert len(set(numbers)) == len(numbers) == 8


def test_the_patients_own_event_comes_first() -> None:
    clinic = Clinic.open()

    clinic.book()

    assert event_types(clinic.take_events())[0] == type_of(TokenConfirmed)
