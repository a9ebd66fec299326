"""The OPD day as it happens, on a controlled clock: the clock's housekeeping, calling patients, measured
consultations, a late doctor, recalls and check-ins (issue #4, DESIGN §2)."""

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import pytest

from shared.contracts.events import (
    TokenCalled,
    TokenCheckedIn,
    TokenCompleted,
    TokenConfirmed,
    TokenDoctorDelayed,
    TokenEtaChanged,
    TokenMoved,
    TokenNoShow,
    TokenPromoted,
    TokenRecalled,
    TokenUpNext,
    TokenWaitlisted,
)
from shared.contracts.reasons import ReasonCode
from shared.contracts.values import SlotStatus, TokenSource, TokenStatus
from shared.errors import ErrorCode

from .kit import EVERYONE_COMES, MONDAY, Clinic, at, event_types, events_of, rejected, template, type_of

MORNING = "09:00-10:00"
AS_MEASURED = replace(EVERYONE_COMES, consult_smoothing=1.0)  # the last consultation measured is the pace
LATE = "10:00-11:00"
AFTERNOON = "14:00-15:00"


def _short(view: dict[str, Any] | None) -> str | None:
    return view["shortNumber"] if view else None


def _calls(clinic: Clinic, times: int, every: float = 10) -> list[str | None]:
    """Press "next" ``times``, ``every`` minutes apart; who was called each time."""
    called = []
    for _ in range(times):
        called.append(_short(clinic.call_next()["nowServing"]))
        clinic.wait(every)
    return called


def _etas(clinic: Clinic, *numbers: str) -> list[datetime | None]:
    return [clinic.view(number).estimated_time for number in numbers]


def _snapshot(clinic: Clinic) -> list[tuple[Any, ...]]:
    tokens = [(t.slot_id, t.status, t.estimated_time, t.queue_rank, t.updated_at) for t in clinic.day.tokens]
    return [*tokens, *((slot.id, slot.status) for slot in clinic.day.slots)]


# -- a slot's life on the clock --------------------------------------------------------------------------


def test_the_reserve_released_at_slot_start_promotes_the_waiting_patient() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=1))
    clinic.book()
    waiting = clinic.book()
    assert waiting.status is TokenStatus.PENDING
    clinic.now = at(8, 59)
    assert clinic.tick()["promoted"] == []
    clinic.now = at(9)
    clinic.take_events()

    result = clinic.tick()

    assert result["promoted"] == [waiting.token_number]
    (promoted,) = events_of(clinic.take_events(), TokenPromoted)
    assert promoted.payload.token.short_number == waiting.short_number
    assert promoted.payload.reason == "the day moved on"
    assert clinic.view(waiting.short_number).status is TokenStatus.CONFIRMED


def test_the_waitlist_rolls_into_the_next_slot_at_slot_end_in_priority_then_arrival_order() -> None:
    clinic = Clinic.open(template(MORNING, capacity=1, reserved=0), template(LATE, capacity=2, reserved=0))
    clinic.book(slot=MORNING)
    clinic.book(slot=LATE)
    clinic.book(slot=LATE)
    walkin = clinic.book(slot=MORNING)
    late_walkin = clinic.book(slot=LATE)  # already waiting in 10:00-11:00, booked between the morning's two
    followup = clinic.book(slot=MORNING, source=TokenSource.FOLLOWUP)
    last_walkin = clinic.book(slot=MORNING)
    clinic.now = at(9, 59)
    assert clinic.tick()["moved"] == []
    clinic.now = at(10)
    clinic.take_events()

    result = clinic.tick()

    assert result["moved"] == [followup.token_number, walkin.token_number, last_walkin.token_number]
    moved = events_of(clinic.take_events(), TokenMoved)
    assert [e.payload.token.short_number for e in moved] == [followup.short_number, walkin.short_number,
                                                             last_walkin.short_number]  # fmt: skip
    assert all("09:00-10:00 ended" in (e.payload.reason or "") for e in moved)
    waitlist = [followup, walkin, late_walkin, last_walkin]
    assert [clinic.view(t.short_number).time_slot.label() for t in waitlist] == [LATE] * 4
    assert [clinic.view(t.short_number).waitlist_position for t in waitlist] == [1, 2, 3, 4]


def test_patients_not_checked_in_by_slot_end_plus_grace_become_no_shows_and_free_their_seats() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=0))
    absent, present, also_absent = clinic.book(), clinic.book(), clinic.book()
    clinic.now = at(9, 5)
    clinic.check_in(present.short_number)
    morning = clinic.slot(MORNING)
    clinic.now = at(10, 14)
    assert clinic.tick()["noShows"] == []  # the 15 minutes' grace is not over
    clinic.now = at(10, 15)
    clinic.take_events()

    result = clinic.tick()

    assert result["noShows"] == [absent.token_number, also_absent.token_number]
    no_shows = events_of(clinic.take_events(), TokenNoShow)
    assert [e.payload.token.short_number for e in no_shows] == [absent.short_number, also_absent.short_number]
    assert all(e.payload.reason == "not checked in by 10:15" for e in no_shows)
    assert clinic.view(present.short_number).status is TokenStatus.CONFIRMED
    assert clinic.day.occupancy(morning).regular == 1  # their two seats are free


def test_an_auto_no_show_comes_after_its_slot_ended_so_nobody_is_pulled_back_into_it() -> None:
    """The grace runs from the slot's end: the freed seat is in a closed slot, whose waitlist already rolled on."""
    clinic = Clinic.open(template(MORNING, capacity=1, reserved=0), template(LATE, capacity=1, reserved=0))
    absent = clinic.book(slot=MORNING)
    clinic.book(slot=LATE)
    waiting = clinic.book(slot=MORNING)
    clinic.now = at(10)
    assert clinic.tick()["moved"] == [waiting.token_number]
    clinic.now = at(10, 15)

    result = clinic.tick()

    assert (result["noShows"], result["promoted"]) == ([absent.token_number], [])
    moved = clinic.view(waiting.short_number)
    assert (moved.status, moved.time_slot.label(), moved.waitlist_position) == (TokenStatus.PENDING, LATE, 1)


def test_checked_in_or_called_patients_are_never_auto_no_shows() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=0))
    called, absent, arrived = clinic.book(), clinic.book(), clinic.book()
    clinic.now = at(9)
    assert _short(clinic.call_next()["nowServing"]) == called.short_number  # called without checking in
    clinic.now = at(9, 10)
    clinic.check_in(arrived.short_number)
    clinic.now = at(11)

    result = clinic.tick()

    assert result["noShows"] == [absent.token_number]
    assert clinic.view(called.short_number).status is TokenStatus.CONFIRMED
    assert clinic.view(arrived.short_number).status is TokenStatus.CONFIRMED


def test_slots_become_completed_after_their_end() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=0), template(LATE, capacity=2, reserved=0))
    clinic.book(slot=MORNING)
    clinic.book(slot=MORNING)
    clinic.now = at(9, 59)
    clinic.tick()
    assert (clinic.slot(MORNING).status, clinic.slot(LATE).status) == (SlotStatus.FULL, SlotStatus.AVAILABLE)

    clinic.now = at(10)
    clinic.tick()
    assert (clinic.slot(MORNING).status, clinic.slot(LATE).status) == (SlotStatus.COMPLETED, SlotStatus.AVAILABLE)

    clinic.now = at(11)
    clinic.tick()
    assert clinic.slot(LATE).status is SlotStatus.COMPLETED


def test_a_second_clock_run_at_the_same_instant_changes_nothing() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=1), template(LATE, capacity=2, reserved=1))
    for _ in range(3):
        clinic.book(slot=MORNING)
    clinic.book(slot=LATE)
    clinic.now = at(10, 15)
    first = clinic.tick()
    assert first["changed"] is True
    assert (len(first["noShows"]), len(first["moved"]), len(first["promoted"])) == (1, 2, 1)
    before = _snapshot(clinic)
    clinic.take_events()

    again = clinic.tick()

    assert again["changed"] is False
    assert (again["noShows"], again["moved"], again["promoted"], again["cancelled"], again["etaNotices"]) == (
        [],
        [],
        [],
        [],
        0,
    )
    assert clinic.take_events() == []
    assert _snapshot(clinic) == before


# -- call order ------------------------------------------------------------------------------------------


def test_patients_are_called_by_priority_then_arrival_within_a_slot() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=1))
    walkin = clinic.book(source=TokenSource.WALKIN)
    online = clinic.book(source=TokenSource.ONLINE)
    followup = clinic.book(source=TokenSource.FOLLOWUP)
    second_walkin = clinic.book(source=TokenSource.WALKIN)
    paid = clinic.book(source=TokenSource.PRIORITY)
    emergency = clinic.emergency()
    everyone = [walkin, online, followup, second_walkin, paid, emergency]
    clinic.now = at(9)
    for token in everyone:
        clinic.check_in(token.short_number)

    called = _calls(clinic, len(everyone))

    expected = [emergency, paid, followup, online, walkin, second_walkin]
    assert called == [t.short_number for t in expected]


def test_checked_in_patients_of_started_slots_are_called_first() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4, reserved=0), template(LATE, capacity=4, reserved=0))
    not_here = clinic.book(slot=MORNING)
    here = clinic.book(slot=MORNING)
    early_for_later = clinic.book(slot=LATE, source=TokenSource.PRIORITY)
    clinic.now = at(9, 5)
    clinic.check_in(here.short_number)
    clinic.check_in(early_for_later.short_number)  # checked in, but the 10:00 slot has not started

    called = _calls(clinic, 3)

    assert called == [here.short_number, not_here.short_number, early_for_later.short_number]


def test_call_next_completes_the_patient_in_consultation_then_calls_the_next_and_warns_the_one_after() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4, reserved=0))
    first, second, third = clinic.book(), clinic.book(), clinic.book()
    clinic.now = at(9)
    clinic.call_next()
    clinic.now = at(9, 12)
    clinic.take_events()

    result = clinic.call_next()

    assert [_short(result[k]) for k in ("completed", "nowServing", "upNext")] == [
        first.short_number,
        second.short_number,
        third.short_number,
    ]
    assert result["waiting"] == 1
    done = clinic.view(first.short_number)
    assert (done.status, done.completed_at) == (TokenStatus.COMPLETED, at(9, 12))
    assert clinic.view(second.short_number).called_at == at(9, 12)
    events = clinic.take_events()
    assert event_types(events)[:3] == [type_of(TokenCompleted), type_of(TokenCalled), type_of(TokenUpNext)]
    assert [e.payload.token.short_number for e in events[:3]] == [
        first.short_number,
        second.short_number,
        third.short_number,
    ]
    assert events[2].payload.reason == "you are next"


def test_the_call_names_the_doctors_room() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4), room="12B")
    clinic.book()
    clinic.now = at(9)
    clinic.take_events()

    clinic.call_next()

    (called,) = events_of(clinic.take_events(), TokenCalled)
    assert called.payload.reason == "please proceed to room 12B now"


def test_the_call_without_a_room_just_says_proceed() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4))
    clinic.book()
    clinic.now = at(9)
    clinic.take_events()

    clinic.call_next()

    (called,) = events_of(clinic.take_events(), TokenCalled)
    assert called.payload.reason == "please proceed now"


def test_call_next_with_nobody_waiting_completes_the_last_patient_and_serves_nobody() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4))
    last = clinic.book()
    clinic.now = at(9)
    clinic.call_next()
    clinic.now = at(9, 10)

    result = clinic.call_next()

    assert (_short(result["completed"]), result["nowServing"], result["upNext"], result["waiting"]) == (
        last.short_number,
        None,
        None,
        0,
    )
    assert clinic.day.serving() is None


def test_call_next_on_an_empty_day_answers_nobody() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4))
    clinic.now = at(9)

    result = clinic.call_next()

    assert (result["completed"], result["nowServing"], result["upNext"]) == (None, None, None)
    assert clinic.take_events() == []


# -- ETAs from measured consultations --------------------------------------------------------------------


def _morning_of(clinic: Clinic, patients: int) -> list[str]:
    """``patients`` walk-ins booked before the day, all checked in at 09:00; returns their short numbers."""
    numbers = [clinic.book().short_number for _ in range(patients)]
    clinic.now = at(9)
    for number in numbers:
        clinic.check_in(number)
    return numbers


def test_the_first_measured_consultation_moves_the_planned_pace_a_little_and_spaces_the_etas() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=0))  # 10 planned minutes
    _, _, third, fourth = _morning_of(clinic, 4)
    clinic.call_next()
    clinic.wait(8)

    clinic.call_next()  # first seen in 8 minutes, second called at 09:08

    assert clinic.day.doctor.consult_minutes == pytest.approx(9.8)  # 0.9 * 10 planned + 0.1 * 8 measured
    assert _etas(clinic, third, fourth) == [at(9, 18), at(9, 28)]  # 09:17:48 and 09:27:36, told to the minute


def test_later_consultations_follow_a_moving_average() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=0))
    _, _, _, fourth, fifth = _morning_of(clinic, 5)
    clinic.call_next()
    clinic.wait(8)
    clinic.call_next()
    clinic.wait(18)

    clinic.call_next()  # 0.9 * 9.8 + 0.1 * 18 = 10.62 minutes; the third called at 09:26

    assert clinic.day.doctor.consult_minutes == pytest.approx(10.62)
    assert _etas(clinic, fourth, fifth) == [at(9, 37), at(9, 48)]


@pytest.mark.parametrize("duration", [timedelta(seconds=20), timedelta(minutes=121)], ids=["too-short", "too-long"])
def test_absurd_consultation_durations_are_ignored(duration: timedelta) -> None:
    clinic = Clinic.open(template("09:00-13:00", capacity=24, reserved=0))  # 10 planned minutes
    _, second = _morning_of(clinic, 2)
    clinic.call_next()
    clinic.wait(8)
    clinic.call_next()  # a real measurement: 8 minutes, against 10 planned
    clinic.now += duration

    clinic.complete(second)

    assert clinic.day.doctor.consult_minutes == pytest.approx(9.8)  # the 8 minutes only


def test_an_absurd_first_duration_leaves_the_planned_pace() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=0))
    _, _, third = _morning_of(clinic, 3)
    clinic.call_next()
    clinic.wait(seconds=10)

    clinic.call_next()  # a double click, not a consultation

    assert clinic.day.doctor.consult_minutes is None
    assert _etas(clinic, third) == [at(9, 11)]  # second called at 09:00:10, plus the planned 10 minutes


def test_eta_changes_are_announced_only_when_they_cross_the_threshold_with_the_reason() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=0), policy=AS_MEASURED)  # 10 planned minutes
    numbers = [clinic.book().short_number for _ in range(5)]
    clinic.now = at(9)
    for number in numbers[:3]:
        clinic.check_in(number)
    _, _, third, fourth, fifth = numbers  # the last two are not here yet
    clinic.call_next()
    assert _etas(clinic, third, fourth, fifth) == [at(9, 20), at(9, 30), at(9, 40)]
    clinic.wait(16)
    clinic.take_events()

    clinic.call_next()  # 16 minutes per patient from now on

    assert _etas(clinic, third, fourth, fifth) == [at(9, 32), at(9, 48), at(10, 4)]
    changed = events_of(clinic.take_events(), TokenEtaChanged)
    assert [e.payload.token.short_number for e in changed] == [fourth, fifth]  # the third is in the waiting room
    assert {e.payload.reason for e in changed} == {"the queue moved"}
    assert {e.payload.reason_code for e in changed} == {ReasonCode.QUEUE_CHANGED}
    assert [e.payload.previous_estimated_time for e in changed] == [at(9, 30), at(9, 40)]


# -- a late doctor ---------------------------------------------------------------------------------------


def test_a_late_doctor_shifts_every_waiting_patients_eta_from_the_slot_start() -> None:
    clinic = Clinic.open(  # 10 planned minutes
        template(MORNING, capacity=6, reserved=1), now=at(8, 30), policy=EVERYONE_COMES
    )
    numbers = [clinic.book().short_number for _ in range(3)]
    assert _etas(clinic, *numbers) == [at(9), at(9, 10), at(9, 20)]

    clinic.delay(15, reason="ward round overran")

    assert _etas(clinic, *numbers) == [at(9, 15), at(9, 25), at(9, 35)]


def test_every_waiting_patient_whose_time_moved_is_told_of_the_delay_once_with_the_new_time() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=1), now=at(8, 50), policy=EVERYONE_COMES)
    numbers = [clinic.book().short_number for _ in range(3)]
    clinic.take_events()

    result = clinic.delay(15, reason="ward round overran")

    assert result["told"] == 3
    events = clinic.take_events()
    assert event_types(events) == [type_of(TokenDoctorDelayed)] * 3  # no separate ETA notice on top
    assert sorted(e.payload.token.short_number for e in events) == sorted(numbers)
    assert {e.payload.reason for e in events} == {"Dr. Test is running 15 minutes late: ward round overran"}
    assert {e.payload.reason_params["minutes"] for e in events} == {15}
    assert [(e.payload.previous_estimated_time, e.payload.token.estimated_time) for e in events] == [
        (at(9), at(9, 15)),
        (at(9, 10), at(9, 25)),
        (at(9, 20), at(9, 35)),
    ]


def test_a_delay_tells_nobody_whose_time_did_not_really_move() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=1), template(AFTERNOON, capacity=6), now=at(8, 50))
    morning, afternoon = clinic.book().short_number, clinic.book(slot=AFTERNOON).short_number
    clinic.take_events()

    result = clinic.delay(15)

    assert result["told"] == 1
    assert [e.payload.token.short_number for e in clinic.take_events()] == [morning]
    assert _etas(clinic, afternoon) == [at(14)]  # the afternoon slot still starts on time


def test_a_doctor_pausing_mid_slot_sees_nobody_before_coming_back() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=0))  # 10 planned minutes
    _, _, third, fourth = _morning_of(clinic, 4)
    clinic.call_next()
    clinic.wait(10)
    clinic.call_next()  # 10 measured minutes; the second patient is in consultation from 09:10
    assert _etas(clinic, third, fourth) == [at(9, 20), at(9, 30)]
    clinic.wait(2)

    clinic.delay(20, reason="called to the ward")

    back = clinic.now + timedelta(minutes=20)
    assert all(eta is not None and eta >= back for eta in _etas(clinic, third, fourth))


# -- recall ----------------------------------------------------------------------------------------------


def test_a_recalled_patient_goes_back_after_the_next_two_patients_of_the_slot() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=0))
    first, second, third, fourth, fifth = _morning_of(clinic, 5)
    clinic.call_next()
    clinic.take_events()

    result = clinic.recall(first)

    assert result["noShow"] is False
    assert clinic.token(first).recalls == 1
    assert clinic.day.serving() is None
    (recalled,) = events_of(clinic.take_events(), TokenRecalled)
    assert recalled.payload.reason == "called but not found: back in the queue after 2 patient(s)"
    assert _calls(clinic, 5) == [second, third, first, fourth, fifth]


def test_a_recalled_patient_goes_back_after_the_next_two_patients_the_doctor_will_call() -> None:
    """Checked-in patients are called first, so "the next two" are counted in that order, not by arrival."""
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=0))
    first, not_here, third, fourth, fifth = (clinic.book().short_number for _ in range(5))
    clinic.now = at(9)
    for number in (first, third, fourth, fifth):
        clinic.check_in(number)
    clinic.call_next()

    clinic.recall(first)

    assert _calls(clinic, 5) == [third, fourth, first, fifth, not_here]


def test_a_second_recall_makes_a_no_show_that_frees_the_seat_and_promotes() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=0))
    missing, other = _morning_of(clinic, 2)
    waiting = [clinic.book(), clinic.book()]
    clinic.call_next()
    clinic.recall(missing)  # back after the only other patient
    assert _calls(clinic, 2, every=5) == [other, missing]
    clinic.take_events()

    result = clinic.recall(missing)

    assert result["noShow"] is True
    token = clinic.token(missing)
    assert (token.status, token.recalls) == (TokenStatus.NO_SHOW, 2)
    events = clinic.take_events()
    assert event_types(events)[:2] == [type_of(TokenNoShow), type_of(TokenPromoted)]
    (promoted,) = events_of(events, TokenPromoted)
    assert promoted.payload.token.short_number in {t.short_number for t in waiting}
    assert promoted.payload.token.status is TokenStatus.CONFIRMED


def test_a_patient_running_late_goes_back_after_the_next_two_once_and_that_was_their_recall() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=0))
    late, second, third, _ = _morning_of(clinic, 4)
    eta = clinic.token(late).estimated_time
    clinic.take_events()

    result = clinic.recall(late)  # before the call: "I'm running late"

    assert (result["noShow"], result["movedBehind"]) == (False, 2)
    assert clinic.token(late).recalls == 1 and clinic.token(late).status is TokenStatus.CONFIRMED
    new_eta = clinic.token(late).estimated_time
    assert new_eta is not None and eta is not None
    assert new_eta > eta  # the new time, in the reply and on the page
    assert not events_of(clinic.take_events(), TokenRecalled)  # nobody was called and missed
    with rejected(ErrorCode.INVALID_TRANSITION):
        clinic.recall(late)  # at most once
    assert _calls(clinic, 2) == [second, third]
    clinic.call_next()
    assert clinic.recall(late)["noShow"] is True  # called and still not here: the recall was spent


def test_a_waitlisted_patient_cannot_be_moved_back() -> None:
    clinic = Clinic.open(template(MORNING, capacity=1, reserved=0))
    clinic.book()
    waiting = clinic.book()
    clinic.now = at(9)

    with rejected(ErrorCode.INVALID_TRANSITION):
        clinic.recall(waiting.short_number)

    assert clinic.token(waiting.short_number).recalls == 0


# -- check-in and late arrival ---------------------------------------------------------------------------


def test_check_in_records_the_arrival_once() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4))
    token = clinic.book()
    clinic.now = at(8, 40)
    clinic.take_events()

    clinic.check_in(token.short_number)
    clinic.now = at(8, 45)
    again = clinic.check_in(token.short_number)

    assert clinic.view(token.short_number).checked_in_at == at(8, 40)
    assert again["token"]["checkedInAt"] == at(8, 40).isoformat()
    (checked_in,) = events_of(clinic.take_events(), TokenCheckedIn)
    assert checked_in.payload.token.short_number == token.short_number


def test_a_no_show_arriving_late_is_requeued_at_the_end_of_their_priority_class() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=0))
    late = clinic.book()
    followup = clinic.book(source=TokenSource.FOLLOWUP)
    walkins = [clinic.book(), clinic.book()]
    clinic.now = at(9, 5)
    clinic.no_show(late.token_number)
    clinic.now = at(9, 20)
    clinic.take_events()

    result = clinic.check_in(late.short_number)

    assert result["lateArrival"] is True
    back = clinic.view(late.short_number)
    assert (back.status, back.position, back.checked_in_at) == (TokenStatus.CONFIRMED, 4, at(9, 20))
    assert [clinic.view(t.short_number).position for t in (followup, *walkins)] == [1, 2, 3]
    (confirmed,) = events_of(clinic.take_events(), TokenConfirmed)
    assert confirmed.payload.reason == "arrived late: back in the queue"
    newcomer = clinic.book()
    assert newcomer.position == 5  # later walk-ins still come after


def test_a_no_show_arriving_late_to_a_full_slot_is_waitlisted() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=0))
    late = clinic.book()
    clinic.book()
    waiting = clinic.book()
    clinic.now = at(9, 5)
    clinic.no_show(late.token_number)  # its seat goes to the waiting patient
    assert clinic.view(waiting.short_number).status is TokenStatus.CONFIRMED
    clinic.take_events()

    result = clinic.check_in(late.short_number)

    assert result["lateArrival"] is True
    back = clinic.view(late.short_number)
    assert (back.status, back.waitlist_position) == (TokenStatus.PENDING, 1)
    (waitlisted,) = events_of(clinic.take_events(), TokenWaitlisted)
    assert waitlisted.payload.reason == "arrived late: back in the queue"


def test_a_late_arrival_after_its_slot_ended_is_queued_in_the_next_open_slot() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=0), template(LATE, capacity=2, reserved=0))
    late = clinic.book(slot=MORNING)
    clinic.now = at(10, 15)
    assert clinic.tick()["noShows"] == [late.token_number]
    clinic.now = at(10, 20)

    clinic.check_in(late.short_number)

    back = clinic.view(late.short_number)
    assert (back.status, back.time_slot.label(), back.position) == (TokenStatus.CONFIRMED, LATE, 1)


def test_a_no_show_is_requeued_on_the_same_day_only() -> None:
    clinic = Clinic.open(template(MORNING, capacity=2, reserved=0))
    late = clinic.book()
    clinic.now = at(9, 5)
    clinic.no_show(late.token_number)
    clinic.now = at(9, day=MONDAY + timedelta(days=1))

    with rejected(ErrorCode.INVALID_TRANSITION):
        clinic.check_in(late.short_number)

    assert clinic.token(late.short_number).status is TokenStatus.NO_SHOW


@pytest.mark.parametrize("ending", ["cancelled", "completed"])
def test_a_cancelled_or_completed_token_cannot_check_in(ending: str) -> None:
    clinic = Clinic.open(template(MORNING, capacity=4))
    token = clinic.book()
    clinic.now = at(9)
    if ending == "cancelled":
        clinic.cancel(token.token_number)
    else:
        clinic.call_next()
        clinic.wait(10)
        clinic.complete(token.short_number)
    clinic.take_events()

    with rejected(ErrorCode.INVALID_TRANSITION):
        clinic.check_in(token.short_number)

    assert clinic.token(token.short_number).checked_in_at is None
    assert clinic.take_events() == []


def test_a_pending_token_cannot_be_completed() -> None:
    clinic = Clinic.open(template(MORNING, capacity=1, reserved=0))
    clinic.book()
    waiting = clinic.book()
    clinic.now = at(9)

    with rejected(ErrorCode.INVALID_TRANSITION):
        clinic.complete(waiting.short_number)

    assert clinic.token(waiting.short_number).status is TokenStatus.PENDING


def test_two_desks_calling_next_at_once_complete_only_the_patient_they_saw() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4, reserved=0))
    first, second, third = clinic.book(), clinic.book(), clinic.book()
    clinic.now = at(9)
    with rejected(ErrorCode.SERVING_CHANGED) as nobody_yet:
        clinic.call_next(serving=first.short_number)
    assert nobody_yet.value.details["serving"] is None
    clinic.call_next()
    clinic.now = at(9, 12)

    clinic.call_next(serving=first.short_number)  # the first desk: completes T001, calls T002
    with rejected(ErrorCode.SERVING_CHANGED) as stale:  # the second desk, a moment later, still showing T001
        clinic.call_next(serving=first.short_number)

    assert stale.value.details["serving"] == second.short_number
    assert clinic.view(second.short_number).status is TokenStatus.CONFIRMED  # still in consultation, not completed
    assert clinic.view(second.short_number).completed_at is None
    assert clinic.view(third.short_number).called_at is None
    assert _short(clinic.call_next(serving=second.token_number)["nowServing"]) == third.short_number
