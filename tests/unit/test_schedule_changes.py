"""Schedule changes on dated days: a doctor unavailable (all day or a time range) and weekly slots replaced.

Displaced patients are re-seated in the doctor's later slots that day in (priority, arrival) order, keeping
their seat where one is free, else waitlisted in the first later slot, else cancelled; emergencies are never
waitlisted. Each displaced patient is told exactly once, with the reason.
"""

from datetime import timedelta
from typing import Any

from allocator.domain.handlers.schedule import SCHEDULE_CHANGED
from allocator.domain.workspace import EventDraft
from shared.contracts.events import (
    DoctorSlotsUpdated,
    TokenCancelled,
    TokenMoved,
    TokenPromoted,
    TokenWaitlisted,
)
from shared.contracts.values import SlotStatus, TokenSource, TokenStatus, Weekday
from shared.errors import ErrorCode

from .kit import MONDAY, SUNDAY, Clinic, at, event_types, rejected, template, type_of

MORNING = "09:00-10:00"
LATE = "10:00-11:00"
NOON = "11:00-12:00"
TUESDAY = MONDAY + timedelta(days=1)

CONFIRMED, PENDING, CANCELLED = TokenStatus.CONFIRMED, TokenStatus.PENDING, TokenStatus.CANCELLED
DISPLACEMENT_EVENTS = (TokenMoved, TokenWaitlisted, TokenCancelled, TokenPromoted)


def _told(events: list[EventDraft[Any]]) -> dict[str, list[str]]:
    """Per patient (short number), the kinds of token event they were sent."""
    told: dict[str, list[str]] = {}
    for event in events:
        if event.kind in DISPLACEMENT_EVENTS:
            told.setdefault(event.payload.token.short_number, []).append(type_of(event.kind))
    return told


def _where(clinic: Clinic, short: str) -> tuple[str, TokenStatus]:
    token = clinic.token(short)
    return clinic.day.slot(token.slot_id).label(), token.status


# -- doctor unavailable ----------------------------------------------------------------------------------


def test_a_whole_day_away_cancels_every_slot_and_every_token_with_the_reason() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3), template(LATE, capacity=3))
    booked = [clinic.book(slot=MORNING), clinic.book(slot=MORNING), clinic.book(slot=MORNING), clinic.book(slot=LATE)]
    emergency = clinic.emergency()
    clinic.take_events()

    result = clinic.unavailable(reason="conference")

    assert result["cancelledSlots"] == [MORNING, LATE]
    assert result["changed"] is True
    assert result["cancelled"] == [emergency.token_number] + [t.token_number for t in booked], (
        "by priority, then arrival, whether they held a seat or waited"
    )
    assert clinic.outcome is not None and clinic.outcome.alternatives is not None, "colleagues for the displaced"
    for label in (MORNING, LATE):
        slot = clinic.slot(label)
        assert (slot.status, slot.status_reason) == (SlotStatus.CANCELLED, "conference")
    assert all(t.status is CANCELLED and t.status_reason == "conference" for t in clinic.day.tokens)
    events = clinic.take_events()
    assert _told(events) == {t.short_number: [type_of(TokenCancelled)] for t in [*booked, emergency]}
    assert all(e.payload.reason == "conference" for e in events)


def test_a_time_range_reseats_in_priority_order_keeping_seats_where_free_else_waitlists() -> None:
    clinic = Clinic.open(
        template(MORNING, capacity=4, reserved=1),
        template(LATE, capacity=3, reserved=1),
        template(NOON, capacity=2, reserved=1),
    )
    walkin = clinic.book(slot=MORNING, source=TokenSource.WALKIN)
    online = clinic.book(slot=MORNING, source=TokenSource.ONLINE)
    paid = clinic.book(slot=MORNING, source=TokenSource.PRIORITY)
    waiting = clinic.book(slot=MORNING, source=TokenSource.WALKIN)
    emergency = clinic.emergency(slot=MORNING)
    late = clinic.book(slot=LATE)
    assert waiting.status is PENDING and emergency.time_slot.label() == MORNING
    clinic.take_events()

    result = clinic.unavailable(between="09:00-10:00", reason="called to surgery")

    assert result["cancelledSlots"] == [MORNING]
    assert result["moved"] == [emergency.token_number, paid.token_number, online.token_number]
    assert result["waitlisted"] == [walkin.token_number, waiting.token_number]
    assert result["cancelled"] == []
    assert _where(clinic, emergency.short_number) == (LATE, CONFIRMED)
    assert _where(clinic, paid.short_number) == (LATE, CONFIRMED), "the last regular seat of 10:00 goes by priority"
    assert _where(clinic, online.short_number) == (NOON, CONFIRMED)
    assert _where(clinic, walkin.short_number) == (LATE, PENDING)
    assert _where(clinic, waiting.short_number) == (LATE, PENDING)
    assert clinic.view(walkin.short_number).waitlist_position == 1
    assert clinic.view(waiting.short_number).waitlist_position == 2
    assert _where(clinic, late.short_number) == (LATE, CONFIRMED), "confirmed tokens of later slots are never bumped"
    assert clinic.slot(MORNING).status_reason == "called to surgery"
    assert clinic.slot(LATE).status is SlotStatus.FULL

    events = clinic.take_events()
    moved, waitlisted = type_of(TokenMoved), type_of(TokenWaitlisted)
    assert _told(events) == {
        emergency.short_number: [moved],
        paid.short_number: [moved],
        online.short_number: [moved],
        walkin.short_number: [waitlisted],
        waiting.short_number: [waitlisted],
    }
    displaced = [e for e in events if e.kind in DISPLACEMENT_EVENTS]
    assert all(e.payload.reason == "called to surgery" for e in displaced)


def test_an_emergency_without_a_later_seat_is_cancelled_never_waitlisted() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=1), template(LATE, capacity=2, reserved=1))
    clinic.book(slot=LATE)
    clinic.emergency(slot=LATE)
    clinic.emergency(slot=LATE)  # the overflow seat of 10:00
    emergency = clinic.emergency(slot=MORNING)
    regular = clinic.book(slot=MORNING)
    clinic.take_events()

    result = clinic.unavailable(between="09:00-10:00")

    assert result["cancelled"] == [emergency.token_number]
    assert result["waitlisted"] == [regular.token_number]
    assert clinic.token(emergency.short_number).status is CANCELLED
    assert clinic.token(emergency.short_number).status_reason == "Dr. Test is unavailable"
    assert not [t for t in clinic.day.tokens if t.is_emergency and t.status is PENDING]
    assert _told(clinic.take_events()) == {
        emergency.short_number: [type_of(TokenCancelled)],
        regular.short_number: [type_of(TokenWaitlisted)],
    }


def test_a_range_cancels_every_slot_it_touches_and_no_ended_slot() -> None:
    clinic = Clinic.open(template(MORNING, 3), template(LATE, 3), template(NOON, 3), now=at(10, 15))

    result = clinic.unavailable(between="08:00-11:30")

    assert result["cancelledSlots"] == [LATE, NOON]
    assert clinic.slot(MORNING).status is SlotStatus.COMPLETED


def test_the_same_unavailability_twice_changes_nothing_the_second_time() -> None:
    clinic = Clinic.open(template(MORNING, 3), template(LATE, 3))
    clinic.book(slot=MORNING)
    clinic.book(slot=MORNING)
    clinic.unavailable(between="09:00-10:00")
    before = [(t.slot_id, t.status, t.estimated_time, t.updated_at) for t in clinic.day.tokens]
    clinic.take_events()

    again = clinic.unavailable(between="09:00-10:00")

    assert again["changed"] is False
    assert (again["cancelledSlots"], again["moved"], again["waitlisted"], again["cancelled"]) == ([], [], [], [])
    assert clinic.take_events() == []
    assert [(t.slot_id, t.status, t.estimated_time, t.updated_at) for t in clinic.day.tokens] == before


def test_unavailability_on_a_later_date_reseats_that_day_only() -> None:
    clinic = Clinic.open(template(MORNING, 3), template(LATE, 3))
    today = clinic.book(slot=MORNING)
    tuesday = clinic.book(slot=MORNING, date=TUESDAY)

    result = clinic.unavailable(day=TUESDAY, between="09:00-10:00")

    assert result["date"] == str(TUESDAY)
    assert result["moved"] == [tuesday.token_number]
    assert clinic.on(TUESDAY).slot(clinic.on(TUESDAY).tokens[0].slot_id).label() == LATE
    assert _where(clinic, today.short_number) == (MORNING, CONFIRMED)


def test_unavailability_in_the_past_or_beyond_the_booking_horizon_is_refused() -> None:
    clinic = Clinic.open()
    horizon = clinic.ws.policy.booking_horizon_days

    with rejected(ErrorCode.DATE_OUT_OF_RANGE):
        clinic.unavailable(day=MONDAY - timedelta(days=1))
    with rejected(ErrorCode.DATE_OUT_OF_RANGE) as far:
        clinic.unavailable(day=MONDAY + timedelta(days=horizon + 7))  # a Monday, a working day
    assert far.value.details["lastDate"] == str(MONDAY + timedelta(days=horizon))
    assert (MONDAY + timedelta(days=horizon + 7), clinic.doctor_id) not in {(d, o) for o, d in clinic.ws.days}


def test_unavailability_on_a_day_off_is_refused() -> None:
    clinic = Clinic.open()

    with rejected(ErrorCode.NOT_WORKING_DAY) as caught:
        clinic.unavailable(day=SUNDAY)

    assert caught.value.details["date"] == str(SUNDAY)
    assert clinic.take_events() == []


def test_booking_into_a_cancelled_slot_is_refused_with_the_next_slot() -> None:
    clinic = Clinic.open(template(MORNING, 3), template(LATE, 3))
    clinic.unavailable(between="09:00-10:00", reason="ward round")

    with rejected(ErrorCode.SLOT_CANCELLED) as caught:
        clinic.book(slot=MORNING)
    assert caught.value.details["nextSlot"] == {"date": str(MONDAY), "timeSlot": LATE}
    assert "ward round" in caught.value.message
    with rejected(ErrorCode.SLOT_CANCELLED):
        clinic.emergency(slot=MORNING)

    assert clinic.book().time_slot.label() == LATE
    assert clinic.emergency().time_slot.label() == LATE


def test_a_cancelled_day_points_the_next_booking_at_the_next_working_day() -> None:
    clinic = Clinic.open(template(MORNING, 3))
    clinic.unavailable()

    with rejected(ErrorCode.NO_OPEN_SLOT) as caught:
        clinic.book()

    assert caught.value.details["nextSlot"] == {"date": str(TUESDAY), "timeSlot": MORNING}


# -- weekly slots replaced ------------------------------------------------------------------------------


def test_a_removed_slot_is_cancelled_and_its_tokens_reseated() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3), template(LATE, capacity=4))
    first, second = clinic.book(slot=MORNING), clinic.book(slot=MORNING)
    waiting = clinic.book(slot=MORNING)
    clinic.take_events()

    result = clinic.update_slots(template(LATE, capacity=4))

    assert result["rescheduled"] == {
        str(MONDAY): {
            "moved": [first.token_number, second.token_number, waiting.token_number],
            "waitlisted": [],
            "cancelled": [],
        }
    }
    slot = clinic.slot(MORNING)
    assert (slot.status, slot.status_reason) == (SlotStatus.CANCELLED, SCHEDULE_CHANGED)
    assert [_where(clinic, t.short_number) for t in (first, second)] == [(LATE, CONFIRMED)] * 2
    assert _where(clinic, waiting.short_number) == (LATE, CONFIRMED), "a waiting patient seated after all"
    events = clinic.take_events()
    assert event_types(events)[0] == type_of(DoctorSlotsUpdated)
    moved, promoted = type_of(TokenMoved), type_of(TokenPromoted)
    assert _told(events) == {
        first.short_number: [moved],
        second.short_number: [moved],
        waiting.short_number: [promoted],
    }
    assert all(e.payload.reason == SCHEDULE_CHANGED for e in events if e.kind in DISPLACEMENT_EVENTS)


def test_a_capacity_cut_displaces_the_last_in_consultation_order() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4, reserved=0), template(LATE, capacity=4))
    walkin = clinic.book(slot=MORNING, source=TokenSource.WALKIN)
    online = clinic.book(slot=MORNING, source=TokenSource.ONLINE)
    paid = clinic.book(slot=MORNING, source=TokenSource.PRIORITY)
    clinic.take_events()

    result = clinic.update_slots(template(MORNING, capacity=2, reserved=0), template(LATE, capacity=4))

    assert result["rescheduled"][str(MONDAY)]["moved"] == [walkin.token_number]
    assert [_where(clinic, t.short_number) for t in (paid, online, walkin)] == [
        (MORNING, CONFIRMED),
        (MORNING, CONFIRMED),
        (LATE, CONFIRMED),
    ]
    assert clinic.slot(MORNING).capacity == 2
    assert _told(clinic.take_events()) == {walkin.short_number: [type_of(TokenMoved)]}


def test_a_capacity_cut_keeps_the_emergency_reserve_before_the_start() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4, reserved=1), template(LATE, capacity=4))
    booked = [clinic.book(slot=MORNING) for _ in range(3)]

    clinic.update_slots(template(MORNING, capacity=3, reserved=1), template(LATE, capacity=4))

    assert [_where(clinic, t.short_number) for t in booked] == [
        (MORNING, CONFIRMED),
        (MORNING, CONFIRMED),
        (LATE, CONFIRMED),
    ]
    assert clinic.emergency(slot=MORNING).overflow is False, "the reserved seat is still free"


def test_a_capacity_cut_keeps_emergencies_first_up_to_the_overflow_seat() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=1), template(LATE, capacity=4))
    regulars = [clinic.book(slot=MORNING) for _ in range(2)]
    emergencies = [clinic.emergency(slot=MORNING) for _ in range(2)]
    assert emergencies[1].overflow

    clinic.update_slots(template(MORNING, capacity=2, reserved=1), template(LATE, capacity=4))

    assert [_where(clinic, t.short_number)[0] for t in emergencies] == [MORNING, MORNING]
    assert [_where(clinic, t.short_number) for t in regulars] == [(MORNING, CONFIRMED), (LATE, CONFIRMED)]


def test_a_quota_cut_displaces_the_tokens_beyond_the_new_quota() -> None:
    clinic = Clinic.open(
        template(MORNING, capacity=6, reserved=1, quotas={TokenSource.PRIORITY: 3}), template(LATE, capacity=4)
    )
    paid = [clinic.book(slot=MORNING, source=TokenSource.PRIORITY) for _ in range(3)]

    clinic.update_slots(
        template(MORNING, capacity=6, reserved=1, quotas={TokenSource.PRIORITY: 1}), template(LATE, capacity=4)
    )

    assert [_where(clinic, t.short_number) for t in paid] == [
        (MORNING, CONFIRMED),
        (LATE, CONFIRMED),
        (LATE, CONFIRMED),
    ]


def test_an_unchanged_schedule_moves_nobody() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=1, quotas={TokenSource.ONLINE: 1}), template(LATE, 3))
    clinic.book(slot=MORNING, source=TokenSource.ONLINE)
    clinic.book(slot=MORNING)
    clinic.emergency(slot=MORNING)
    clinic.emergency(slot=MORNING)  # the overflow seat
    clinic.book(slot=MORNING)  # waiting
    before = [(t.slot_id, t.status) for t in clinic.day.tokens]

    result = clinic.update_slots(
        template(MORNING, capacity=3, reserved=1, quotas={TokenSource.ONLINE: 1}), template(LATE, 3)
    )

    assert result["rescheduled"] == {}
    assert [(t.slot_id, t.status) for t in clinic.day.tokens] == before


def test_a_new_slot_appears_and_can_be_booked() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3))
    clinic.book(slot=MORNING)

    clinic.update_slots(template(MORNING, capacity=3), template(NOON, capacity=2))

    assert [slot.label() for slot in clinic.day.slots] == [MORNING, NOON]
    assert clinic.book(slot=NOON).status is CONFIRMED
    assert clinic.book(slot=NOON, date=TUESDAY).status is CONFIRMED, "a day materialized later follows too"


def test_a_slot_removed_then_restored_is_open_again() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3), template(LATE, capacity=3))
    clinic.book(slot=LATE)
    clinic.update_slots(template(MORNING, capacity=3))
    assert clinic.slot(LATE).status is SlotStatus.CANCELLED

    clinic.update_slots(template(MORNING, capacity=3), template(LATE, capacity=3))

    assert clinic.slot(LATE).status is SlotStatus.AVAILABLE
    assert clinic.slot(LATE).status_reason is None
    assert clinic.book(slot=LATE).status is CONFIRMED


def test_a_schedule_change_does_not_reopen_a_slot_the_doctor_is_away_for() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3), template(LATE, capacity=3))
    assert clinic.day.slots  # materialized, so the schedule changes reach it
    clinic.update_slots(template(MORNING, capacity=3))
    clinic.unavailable(reason="leave")

    clinic.update_slots(template(MORNING, capacity=3), template(LATE, capacity=3))

    assert [(s.label(), s.status) for s in clinic.day.slots] == [
        (MORNING, SlotStatus.CANCELLED),
        (LATE, SlotStatus.CANCELLED),
    ]
    with rejected(ErrorCode.SLOT_CANCELLED):
        clinic.book(slot=LATE)


def test_a_day_no_longer_worked_has_all_its_open_slots_cancelled() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3), template(LATE, capacity=3))
    monday = clinic.book(slot=MORNING)
    first = clinic.book(slot=MORNING, date=TUESDAY)
    second = clinic.book(slot=LATE, date=TUESDAY)

    result = clinic.update_slots(
        template(MORNING, capacity=3), template(LATE, capacity=3), working_days=(Weekday.MONDAY,)
    )

    assert list(result["rescheduled"]) == [str(TUESDAY)]
    assert result["rescheduled"][str(TUESDAY)]["cancelled"] == [first.token_number, second.token_number]
    tuesday = clinic.on(TUESDAY)
    assert all(slot.status is SlotStatus.CANCELLED for slot in tuesday.slots)
    assert all(token.status is CANCELLED for token in tuesday.tokens)
    assert _where(clinic, monday.short_number) == (MORNING, CONFIRMED)
    with rejected(ErrorCode.NOT_WORKING_DAY):
        clinic.book(date=TUESDAY)


def test_a_started_slot_keeps_its_seats_when_the_reserve_is_raised() -> None:
    """After the start the reserve is released anyway: raising it displaces nobody."""
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=0), template(LATE, capacity=3), now=at(9, 10))
    booked = [clinic.book(slot=MORNING) for _ in range(3)]

    clinic.update_slots(template(MORNING, capacity=3, reserved=2), template(LATE, capacity=3))

    assert [_where(clinic, t.short_number) for t in booked] == [(MORNING, CONFIRMED)] * 3
