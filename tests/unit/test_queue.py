"""The queue after booking: consultation order and ETAs, cancellation and no-show chain reactions, reallocation."""

from datetime import datetime, timedelta

from shared.contracts.events import (
    TokenCancelled,
    TokenConfirmed,
    TokenEtaChanged,
    TokenMoved,
    TokenNoShow,
    TokenPromoted,
)
from shared.contracts.reasons import ReasonCode
from shared.contracts.values import TokenSource, TokenStatus
from shared.errors import ErrorCode

from .kit import EVERYONE_COMES, MONDAY, Clinic, at, event_types, events_of, rejected, template, type_of

MORNING = "09:00-10:00"
LATE = "10:00-11:00"


def _etas(clinic: Clinic, *numbers: str) -> list[datetime | None]:
    return [clinic.view(number).estimated_time for number in numbers]


# -- consultation order and ETAs -------------------------------------------------------------------------


def test_positions_and_etas_follow_priority_then_arrival() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=1), policy=EVERYONE_COMES)  # 10 consult minutes
    walkin = clinic.book(source=TokenSource.WALKIN)
    online = clinic.book(source=TokenSource.ONLINE)
    followup = clinic.book(source=TokenSource.FOLLOWUP)
    paid = clinic.book(source=TokenSource.PRIORITY)
    second_walkin = clinic.book(source=TokenSource.WALKIN)

    order = [paid, followup, online, walkin, second_walkin]
    numbers = [t.short_number for t in order]
    assert [clinic.view(n).position for n in numbers] == [1, 2, 3, 4, 5]
    assert _etas(clinic, *numbers) == [at(9), at(9, 10), at(9, 20), at(9, 30), at(9, 40)]


def test_etas_start_no_earlier_than_now() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4), now=at(9, 20) + timedelta(seconds=30), policy=EVERYONE_COMES)

    first, second = clinic.book(), clinic.book()

    assert (first.estimated_time, second.estimated_time) == (at(9, 21), at(9, 36))


def test_etas_carry_over_into_the_next_slot() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=1), template(LATE, capacity=2), policy=EVERYONE_COMES)
    morning = clinic.book(slot=MORNING)
    later = clinic.book(slot=LATE)

    assert (morning.estimated_time, later.estimated_time) == (at(9), at(10))
    clinic.emergency(slot=MORNING)
    clinic.emergency(slot=MORNING)  # the overflow: three 30-minute consultations from 09:00
    assert _etas(clinic, later.short_number) == [at(10, 30)]


def test_the_next_slots_etas_follow_the_pace_of_the_patient_in_consultation() -> None:
    """Nobody else waits in the consultation's slot, so only its pace links the two (the walk must see it)."""
    clinic = Clinic.open(template(MORNING, capacity=4), template(LATE, capacity=4), now=at(8))  # 15 minutes each
    clinic.book(slot=MORNING)
    later = clinic.book(slot=LATE)
    clinic.wait(minutes=115)
    clinic.call_next()  # at 09:55
    assert _etas(clinic, later.short_number) == [at(10, 10)]

    clinic.update_slots(template(MORNING, capacity=12), template(LATE, capacity=4))  # 5 minutes in the morning

    assert _etas(clinic, later.short_number) == [at(10)]


def test_a_slots_new_consultation_length_moves_its_later_patients() -> None:
    """The slot's first patient keeps their time (the slot's start); the one after them moves with the new length."""
    clinic = Clinic.open(  # 15 minutes each
        template(MORNING, capacity=4), template(LATE, capacity=4), now=at(8), policy=EVERYONE_COMES
    )
    clinic.book(slot=LATE)
    second = clinic.book(slot=LATE)
    assert _etas(clinic, second.short_number) == [at(10, 15)]

    clinic.update_slots(template(MORNING, capacity=4), template(LATE, capacity=6))  # 10 minutes from 10:00

    assert _etas(clinic, second.short_number) == [at(10, 10)]


def test_on_the_day_etas_hold_while_the_doctor_keeps_time_and_follow_the_clock_after() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6), now=at(8), policy=EVERYONE_COMES)  # 10 minutes each
    clinic.book()
    second = clinic.book()
    clinic.wait(minutes=60)
    clinic.call_next()  # the first patient, at 09:00
    clinic.wait(minutes=5)
    third = clinic.book()
    assert _etas(clinic, second.short_number, third.short_number) == [at(9, 10), at(9, 20)]

    clinic.wait(minutes=9)  # 09:14: the consultation runs 4 minutes over
    fourth = clinic.book()

    numbers = (second.short_number, third.short_number, fourth.short_number)
    assert _etas(clinic, *numbers) == [at(9, 14), at(9, 24), at(9, 34)]


def test_a_later_emergency_is_seen_first_and_pushes_the_others() -> None:
    clinic = Clinic.open(  # 12 consult minutes
        template(MORNING, capacity=5, reserved=1), now=at(8, 55), policy=EVERYONE_COMES
    )
    first, second = clinic.book(), clinic.book(source=TokenSource.FOLLOWUP)
    clinic.take_events()

    emergency = clinic.emergency()

    assert (emergency.position, emergency.estimated_time) == (1, at(9))
    assert [clinic.view(t.short_number).position for t in (second, first)] == [2, 3]
    assert _etas(clinic, second.short_number, first.short_number) == [at(9, 12), at(9, 24)]
    events = clinic.take_events()
    assert event_types(events)[0] == type_of(TokenConfirmed)
    changed = events_of(events, TokenEtaChanged)
    assert {e.payload.token.short_number for e in changed} == {first.short_number, second.short_number}
    for event in changed:
        assert event.payload.reason == "1 emergency patient added"
        assert event.payload.previous_estimated_time < event.payload.token.estimated_time


def test_small_eta_shifts_are_not_announced() -> None:
    clinic = Clinic.open(template(MORNING, capacity=20, reserved=1))  # 3 consult minutes
    clinic.book()
    clinic.take_events()

    clinic.emergency()

    assert not events_of(clinic.take_events(), TokenEtaChanged)


# -- cancellation ----------------------------------------------------------------------------------------


def _two_seated_two_waiting(clinic: Clinic) -> tuple[str, str, str, str]:
    """Capacity 3, reserve 1: two seats; a walk-in then a paid patient wait."""
    seated = clinic.book(slot=MORNING), clinic.book(slot=MORNING)
    walkin = clinic.book(slot=MORNING, source=TokenSource.WALKIN)
    paid = clinic.book(slot=MORNING, source=TokenSource.PRIORITY)
    numbers = seated[0].short_number, seated[1].short_number, walkin.short_number, paid.short_number
    assert [clinic.view(n).waitlist_position for n in numbers[2:]] == [2, 1]
    return numbers


def test_on_the_day_small_eta_shifts_are_told_once_they_add_up_to_the_threshold() -> None:
    clinic = Clinic.open(  # 6 minutes each
        template(MORNING, capacity=10, reserved=0), now=at(8, 45), policy=EVERYONE_COMES
    )
    walkin = clinic.book()
    clinic.take_events()

    clinic.book(source=TokenSource.PRIORITY)
    assert not events_of(clinic.take_events(), TokenEtaChanged), "6 minutes later than told"
    clinic.book(source=TokenSource.PRIORITY)
    [notice] = events_of(clinic.take_events(), TokenEtaChanged)
    assert notice.payload.token.short_number == walkin.short_number
    assert (notice.payload.previous_estimated_time, notice.payload.token.estimated_time) == (at(9), at(9, 12))

    clinic.book(source=TokenSource.PRIORITY)
    assert not events_of(clinic.take_events(), TokenEtaChanged), "6 minutes later than last told (09:12)"


def test_a_move_hours_ahead_is_told_once_it_is_large_against_the_time_to_go() -> None:
    """12 minutes later matters 15 minutes before the time, not two hours before it (it may well move back)."""
    clinic = Clinic.open(template(MORNING, capacity=10, reserved=0), policy=EVERYONE_COMES)  # 08:00; 6 minutes each
    walkin = clinic.book()
    clinic.book(source=TokenSource.PRIORITY)
    clinic.book(source=TokenSource.PRIORITY)
    assert not events_of(clinic.take_events(), TokenEtaChanged), "12 minutes, an hour ahead"
    clinic.now = at(8, 35)
    clinic.tick()
    assert not events_of(clinic.take_events(), TokenEtaChanged), "12 minutes is less than half of 25"
    clinic.now = at(8, 36)
    clinic.tick()
    [notice] = events_of(clinic.take_events(), TokenEtaChanged)
    assert notice.payload.token.short_number == walkin.short_number
    assert (notice.payload.previous_estimated_time, notice.payload.token.estimated_time) == (at(9), at(9, 12))


def test_patients_in_the_waiting_room_get_no_eta_notices() -> None:
    """They see the board, and get "you're next" and "please go in"."""
    clinic = Clinic.open(template(MORNING, capacity=10, reserved=0), now=at(8, 55))
    here, away = clinic.book(), clinic.book()
    clinic.check_in(here.short_number)
    clinic.take_events()

    clinic.emergency()
    clinic.emergency()

    told = {e.payload.token.short_number for e in events_of(clinic.take_events(), TokenEtaChanged)}
    assert told == {away.short_number}


def test_the_day_before_small_shifts_are_not_told_and_the_morning_tells_what_they_added_up_to() -> None:
    """Tomorrow's times are tentative: a notice for every few bookings ahead would be noise. On the day, the
    clock tells each patient whose ETA moved enough since they were told, once."""
    clinic = Clinic.open(
        template(MORNING, capacity=10, reserved=0), now=at(20) - timedelta(days=1), policy=EVERYONE_COMES
    )
    walkin = clinic.book(date=MONDAY)
    clinic.book(source=TokenSource.PRIORITY, date=MONDAY)
    clinic.book(source=TokenSource.PRIORITY, date=MONDAY)
    assert not events_of(clinic.take_events(), TokenEtaChanged), "12 minutes later, 6 at a time"

    clinic.now = at(6, 59)
    clinic.tick()
    assert not events_of(clinic.take_events(), TokenEtaChanged), "nobody is woken before 07:00"
    clinic.now = at(7)
    clinic.tick()
    assert not events_of(clinic.take_events(), TokenEtaChanged), "12 minutes, two hours ahead"
    clinic.now = at(8, 36)
    clinic.tick()
    [notice] = events_of(clinic.take_events(), TokenEtaChanged)
    assert notice.payload.token.short_number == walkin.short_number
    assert (notice.payload.previous_estimated_time, notice.payload.token.estimated_time) == (at(9), at(9, 12))
    assert notice.payload.reason_code is ReasonCode.QUEUE_CHANGED  # the patient is told why, in their language
    clinic.wait(seconds=5)
    clinic.tick()
    assert not events_of(clinic.take_events(), TokenEtaChanged), "told once"


def test_cancelling_a_confirmed_token_promotes_the_best_waiting_token() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=1))
    seated, _, walkin, paid = _two_seated_two_waiting(clinic)
    clinic.take_events()

    result = clinic.cancel(clinic.token(seated).token_number, reason="feeling better")

    assert result["seatFreed"] is True
    assert result["token"]["status"] == "cancelled"
    events = clinic.take_events()
    assert event_types(events)[:2] == [type_of(TokenCancelled), type_of(TokenPromoted)]
    assert events[0].payload.reason == "feeling better"
    assert events[1].payload.token.short_number == paid
    assert clinic.view(paid).status is TokenStatus.CONFIRMED
    assert clinic.view(walkin).waitlist_position == 1


def test_a_seat_freed_in_a_later_slot_goes_to_its_waitlist_though_an_earlier_slot_has_none() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3), template(LATE, capacity=2))
    seated, waiting = clinic.book(slot=LATE), clinic.book(slot=LATE)
    assert clinic.view(waiting.short_number).status is TokenStatus.PENDING

    clinic.cancel(seated.token_number)

    assert clinic.view(waiting.short_number).status is TokenStatus.CONFIRMED


def test_cancelling_a_waiting_token_frees_no_seat() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=1))
    _, _, walkin, paid = _two_seated_two_waiting(clinic)
    clinic.take_events()

    result = clinic.cancel(clinic.token(paid).token_number.lower())

    assert result["seatFreed"] is False
    assert event_types(clinic.take_events()) == [type_of(TokenCancelled)]
    assert clinic.view(walkin).waitlist_position == 1


def test_cancelling_a_cancelled_token_is_an_invalid_transition() -> None:
    clinic = Clinic.open()
    token = clinic.book()
    clinic.cancel(str(token.id))

    with rejected(ErrorCode.INVALID_TRANSITION):
        clinic.cancel(str(token.id))


def test_cancelling_an_unknown_token_is_not_found() -> None:
    with rejected(ErrorCode.TOKEN_NOT_FOUND):
        Clinic.open().cancel("D1-20260105-T999")


# -- no-show ---------------------------------------------------------------------------------------------


def test_no_show_before_the_slot_starts_is_refused() -> None:
    clinic = Clinic.open()
    token = clinic.book()

    with rejected(ErrorCode.SLOT_NOT_STARTED):
        clinic.no_show(token.token_number)

    assert clinic.view(token.short_number).status is TokenStatus.CONFIRMED


def test_no_show_after_the_start_frees_the_seat_and_promotes() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=0))
    absent = clinic.book()
    clinic.book()
    waiting = clinic.book()
    clinic.now = at(9, 5)
    clinic.take_events()

    result = clinic.no_show(absent.token_number)

    assert result["seatFreed"] is True
    assert clinic.view(absent.short_number).status is TokenStatus.NO_SHOW
    assert event_types(clinic.take_events())[:2] == [type_of(TokenNoShow), type_of(TokenPromoted)]
    assert clinic.view(waiting.short_number).status is TokenStatus.CONFIRMED


def test_only_a_confirmed_token_can_be_a_no_show() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=0))
    clinic.book()
    clinic.book()
    waiting = clinic.book()
    clinic.now = at(9, 5)

    with rejected(ErrorCode.INVALID_TRANSITION):
        clinic.no_show(waiting.token_number)


# -- reallocation ----------------------------------------------------------------------------------------


def test_reallocate_rolls_an_ended_slots_waitlist_into_the_next_slot_in_priority_order() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=1), template(LATE, capacity=2, reserved=1))
    clinic.book(slot=MORNING)
    clinic.book(slot=LATE)
    walkin = clinic.book(slot=MORNING, source=TokenSource.WALKIN)
    paid = clinic.book(slot=MORNING, source=TokenSource.PRIORITY)
    clinic.now = at(10)
    clinic.take_events()

    result = clinic.reallocate()

    assert result["moved"] == [paid.token_number, walkin.token_number]
    assert result["promoted"] == [paid.token_number]  # the reserve of 10:00-11:00 is released at its start
    assert result["changed"] is True
    events = clinic.take_events()
    assert event_types(events)[:3] == [type_of(TokenMoved), type_of(TokenMoved), type_of(TokenPromoted)]
    assert all("ended" in (e.payload.reason or "") for e in events_of(events, TokenMoved))
    assert clinic.view(paid.short_number).time_slot.label() == LATE
    moved_walkin = clinic.view(walkin.short_number)
    assert (moved_walkin.time_slot.label(), moved_walkin.waitlist_position) == (LATE, 1)


def test_reallocate_cancels_the_waitlist_when_no_slot_is_left() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=1))
    clinic.book()
    waiting = clinic.book()
    clinic.now = at(10, 15)
    clinic.take_events()

    result = clinic.reallocate()

    assert result["cancelled"] == [waiting.token_number]
    (cancelled,) = events_of(clinic.take_events(), TokenCancelled)
    assert cancelled.payload.token.short_number == waiting.short_number
    assert cancelled.payload.reason
    assert clinic.view(waiting.short_number).status is TokenStatus.CANCELLED


def test_reallocate_releases_the_reserve_to_the_waitlist_at_slot_start() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=1))
    clinic.book()
    clinic.book()
    waiting = clinic.book()
    clinic.now = at(9)

    result = clinic.reallocate()

    assert result["promoted"] == [waiting.token_number]
    assert clinic.view(waiting.short_number).status is TokenStatus.CONFIRMED


def test_reallocating_twice_changes_nothing_the_second_time() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=1), template(LATE, capacity=2, reserved=1))
    for _ in range(4):
        clinic.book(slot=MORNING)
    clinic.now = at(10, 5)
    assert clinic.reallocate()["changed"] is True
    before = [(t.slot_id, t.status, t.estimated_time, t.updated_at) for t in clinic.day.tokens]
    clinic.take_events()

    again = clinic.reallocate()

    assert again["changed"] is False
    assert (again["moved"], again["promoted"], again["cancelled"], again["etaNotices"]) == ([], [], [], 0)
    assert clinic.take_events() == []
    assert [(t.slot_id, t.status, t.estimated_time, t.updated_at) for t in clinic.day.tokens] == before
