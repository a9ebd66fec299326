"""Per-source quotas: a quota caps its source; before the slot starts its unused seats are held for it; at the
start the holds (and the emergency reserve) are released to everyone while the caps stay. Also the seat
arithmetic of ``shared.seats.Ledger`` on its own, and the validation of slot templates."""

from collections import Counter
from functools import partial
from itertools import groupby

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.contracts.events import TokenPromoted
from shared.contracts.values import SlotStatus, SlotTemplate, TokenSource, TokenStatus
from shared.errors import ErrorCode
from shared.seats import Ledger

from .kit import Clinic, at, events_of, rejected, template

MORNING = "09:00-10:00"
LATE = "10:00-11:00"

EMERGENCY, PRIORITY, FOLLOWUP, ONLINE, WALKIN = (
    TokenSource.EMERGENCY,
    TokenSource.PRIORITY,
    TokenSource.FOLLOWUP,
    TokenSource.ONLINE,
    TokenSource.WALKIN,
)
CONFIRMED, PENDING = TokenStatus.CONFIRMED, TokenStatus.PENDING


# -- a quota caps its source ------------------------------------------------------------------------------


def test_a_quota_caps_its_source_and_the_next_one_is_waitlisted() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=1, quotas={PRIORITY: 2}))

    paid = [clinic.book(slot=MORNING, source=PRIORITY) for _ in range(3)]

    assert [t.status for t in paid] == [CONFIRMED, CONFIRMED, PENDING]
    assert paid[2].waitlist_position == 1
    assert clinic.book(slot=MORNING, source=WALKIN).status is CONFIRMED, "other sources still have seats"
    assert clinic.slot(MORNING).status is SlotStatus.AVAILABLE


def test_a_full_quota_without_waitlist_is_refused_and_creates_nothing() -> None:
    clinic = Clinic.open(
        template(MORNING, capacity=6, reserved=1, quotas={PRIORITY: 2}),
        template(LATE, capacity=4, reserved=1, quotas={PRIORITY: 1}),
    )
    clinic.book(slot=MORNING, source=PRIORITY)
    clinic.book(slot=MORNING, source=PRIORITY)
    tokens_before = len(clinic.day.tokens)

    with rejected(ErrorCode.SLOT_FULL) as caught:
        clinic.book(slot=MORNING, source=PRIORITY, waitlist=False)

    assert len(clinic.day.tokens) == tokens_before
    assert caught.value.details["suggestions"]["slots"] == [{"date": "2026-01-05", "timeSlot": LATE, "seatsLeft": 1}]


def test_a_booking_without_slot_skips_a_slot_whose_quota_for_the_source_is_full() -> None:
    clinic = Clinic.open(
        template(MORNING, capacity=6, reserved=1, quotas={PRIORITY: 1}),
        template(LATE, capacity=4, reserved=1),
    )
    assert clinic.book(source=PRIORITY).time_slot.label() == MORNING

    second = clinic.book(source=PRIORITY)

    assert (second.status, second.time_slot.label()) == (CONFIRMED, LATE)


def test_a_quota_of_zero_keeps_a_source_out_entirely() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4, reserved=0, quotas={ONLINE: 0}))

    assert clinic.book(slot=MORNING, source=ONLINE).status is PENDING
    assert clinic.book(slot=MORNING, source=WALKIN).status is CONFIRMED


# -- holds before the slot starts, released at the start --------------------------------------------------


def test_unused_quota_seats_are_held_for_their_source_before_the_slot_starts() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4, reserved=1, quotas={ONLINE: 2}))

    walkins = [clinic.book(slot=MORNING, source=WALKIN) for _ in range(2)]
    online = [clinic.book(slot=MORNING, source=ONLINE) for _ in range(3)]

    assert [t.status for t in walkins] == [CONFIRMED, PENDING], "4 seats - 1 reserved - 2 held for online = 1"
    assert [t.status for t in online] == [CONFIRMED, CONFIRMED, PENDING], "online gets its 2, then its cap"
    assert clinic.day.regular_seats_left(clinic.slot(MORNING), clinic.now, True) == 0


def test_a_paid_booking_cannot_take_online_held_seats_either() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=0, quotas={ONLINE: 2}))

    assert clinic.book(slot=MORNING, source=PRIORITY).status is CONFIRMED
    assert clinic.book(slot=MORNING, source=PRIORITY).status is PENDING
    assert clinic.slot(MORNING).status is SlotStatus.AVAILABLE, "online can still book"
    clinic.book(slot=MORNING, source=ONLINE)
    clinic.book(slot=MORNING, source=ONLINE)
    assert clinic.slot(MORNING).status is SlotStatus.FULL


def test_emergencies_are_not_kept_out_by_quota_holds() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=1, quotas={ONLINE: 2}))

    assert [clinic.emergency().status for _ in range(2)] == [CONFIRMED, CONFIRMED]
    assert clinic.view("E02").time_slot.label() == MORNING


def test_at_the_start_held_seats_go_to_the_waiting_walkin_on_reallocate() -> None:
    clinic = Clinic.open(template(MORNING, capacity=4, reserved=1, quotas={ONLINE: 2}))
    clinic.book(slot=MORNING, source=WALKIN)
    waiting = clinic.book(slot=MORNING, source=WALKIN)
    assert waiting.status is PENDING
    clinic.now = at(9, 5)
    clinic.take_events()

    result = clinic.reallocate()

    assert result["promoted"] == [waiting.token_number]
    assert clinic.view(waiting.short_number).status is CONFIRMED
    (promoted,) = events_of(clinic.take_events(), TokenPromoted)
    assert promoted.payload.token.short_number == waiting.short_number
    assert [clinic.book(slot=MORNING, source=WALKIN).status for _ in range(3)] == [CONFIRMED, CONFIRMED, PENDING]


def test_at_the_start_the_waiting_walkin_is_seated_before_a_walkin_newcomer() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=0, quotas={ONLINE: 2}))
    clinic.book(slot=MORNING, source=WALKIN)
    waiting = clinic.book(slot=MORNING, source=WALKIN)
    clinic.book(slot=MORNING, source=ONLINE)
    clinic.now = at(9, 1)

    newcomer = clinic.book(slot=MORNING, source=WALKIN)

    assert clinic.view(waiting.short_number).status is CONFIRMED, "online's unused seat went to the earlier walk-in"
    assert (newcomer.status, newcomer.waitlist_position) == (PENDING, 1)


def test_caps_still_hold_after_the_start() -> None:
    clinic = Clinic.open(template(MORNING, capacity=6, reserved=1, quotas={PRIORITY: 2, ONLINE: 2}), now=at(9, 5))

    paid = [clinic.book(slot=MORNING, source=PRIORITY) for _ in range(3)]
    walkins = [clinic.book(slot=MORNING, source=WALKIN) for _ in range(4)]
    clinic.reallocate()

    assert [t.status for t in paid] == [CONFIRMED, CONFIRMED, PENDING]
    assert [t.status for t in walkins] == [CONFIRMED] * 4, "online's unused quota and the reserve are released"
    assert clinic.view(paid[2].short_number).status is PENDING, "the cap outlives the start"


def test_without_release_at_start_the_holds_stay_after_the_start() -> None:
    ledger = Ledger.of(4, 1, {ONLINE: 2}, started=True, confirmed={WALKIN: 1}, release_at_start=False)

    assert ledger.seats_for(WALKIN) == 0
    assert ledger.seats_for(ONLINE) == 2


# -- promotion skips a waiting token whose quota is full ------------------------------------------------


def test_promotion_skips_a_waiting_token_whose_quota_is_full_and_promotes_the_next() -> None:
    clinic = Clinic.open(template(MORNING, capacity=3, reserved=0, quotas={PRIORITY: 1}))
    paid = clinic.book(slot=MORNING, source=PRIORITY)
    first_walkin = clinic.book(slot=MORNING, source=WALKIN)
    clinic.book(slot=MORNING, source=WALKIN)
    paid_waiting = clinic.book(slot=MORNING, source=PRIORITY)
    walkin_waiting = clinic.book(slot=MORNING, source=WALKIN)
    assert (paid_waiting.status, walkin_waiting.status) == (PENDING, PENDING)
    assert clinic.view(paid_waiting.short_number).waitlist_position == 1, "better priority waits in front"
    clinic.take_events()

    clinic.cancel(first_walkin.token_number)

    assert clinic.view(walkin_waiting.short_number).status is CONFIRMED
    assert clinic.view(paid_waiting.short_number).status is PENDING
    promoted = events_of(clinic.take_events(), TokenPromoted)
    assert [e.payload.token.short_number for e in promoted] == [walkin_waiting.short_number]

    clinic.cancel(paid.token_number)

    assert clinic.view(paid_waiting.short_number).status is CONFIRMED, "the paid quota has room again"


# -- the Ledger's arithmetic on its own ------------------------------------------------------------------


def test_ledger_seats_for_each_source_before_the_start() -> None:
    ledger = Ledger.of(
        10, 2, {ONLINE: 3, PRIORITY: 2}, started=False, confirmed=Counter({WALKIN: 1, ONLINE: 1, EMERGENCY: 0})
    )

    assert (ledger.regular, ledger.emergency, ledger.occupied) == (2, 0, 2)
    assert ledger.held_for_others(WALKIN) == 4  # online 2 unused + priority 2 unused
    assert ledger.held_for_others(ONLINE) == 2
    assert ledger.held_for_others(PRIORITY) == 2
    assert ledger.seats_for(WALKIN) == ledger.seats_for(FOLLOWUP) == 10 - 2 - 2 - 4
    assert ledger.seats_for(ONLINE) == 2  # free 4, capped by its quota left
    assert ledger.seats_for(PRIORITY) == 2
    assert ledger.regular_seats_left == 2
    assert (ledger.quota_left(ONLINE), ledger.quota_left(PRIORITY), ledger.quota_left(WALKIN)) == (2, 2, None)
    assert ledger.any_regular_seat
    assert ledger.emergency_seats_left == 8


REGULAR = [PRIORITY, FOLLOWUP, ONLINE, WALKIN]


SOURCES = [EMERGENCY, *REGULAR]


@st.composite
def ledgers(draw: st.DrawFn) -> "partial[Ledger]":
    """A slot's seat arithmetic, as a call that makes a fresh copy of the same ledger."""
    capacity = draw(st.integers(1, 12))
    return partial(
        Ledger.of,
        capacity,
        min(draw(st.integers(0, 3)), capacity),
        draw(st.dictionaries(st.sampled_from(REGULAR), st.integers(0, 4), max_size=2)),
        draw(st.booleans()),
        Counter(draw(st.lists(st.sampled_from(SOURCES), max_size=8))),
    )


WAITLISTS = st.lists(st.sampled_from(SOURCES), max_size=20)  # a late emergency may wait too


@given(ledger=ledgers(), queue=WAITLISTS, newcomer=st.sampled_from(SOURCES))
def test_ledger_admits_a_newcomer_alike_from_runs_or_one_patient_at_a_time(
    ledger: "partial[Ledger]", queue: list[TokenSource], newcomer: TokenSource
) -> None:
    """Colleague suggestions pass the waitlist as runs of one source; the answer and the seats taken are the same."""
    one_by_one, as_runs = ledger(), ledger()
    runs = [(source, len(list(run))) for source, run in groupby(queue)]

    assert one_by_one.admits_newcomer(newcomer, [(source, 1) for source in queue]) == as_runs.admits_newcomer(
        newcomer, runs
    )
    assert (one_by_one.by_source, one_by_one.emergency) == (as_runs.by_source, as_runs.emergency)


@given(ledger=ledgers(), queue=WAITLISTS, newcomer=st.sampled_from(SOURCES))
def test_ledger_when_the_waitlist_does_not_go_first_the_newcomer_is_admitted_as_the_walk_says(
    ledger: "partial[Ledger]", queue: list[TokenSource], newcomer: TokenSource
) -> None:
    """Bookings skip the walk of the waitlist when none of its sources ahead fits: the walk then takes no seat."""
    walked, untouched = ledger(), ledger()

    admitted = walked.admits_newcomer(newcomer, [(source, 1) for source in queue])

    if not untouched.waitlist_goes_first(newcomer, set(queue)):
        assert admitted == untouched.fits(newcomer)
        assert (walked.by_source, walked.emergency) == (untouched.by_source, untouched.emergency)
    else:
        assert (walked.by_source, walked.emergency) != (untouched.by_source, untouched.emergency), "it took a seat"


def test_ledger_a_waiting_patient_over_their_quota_leaves_the_seat_to_a_newcomer_and_takes_none() -> None:
    """An earlier online patient waits only for their capped source; the walk-in behind them gets the free seat."""
    ledger = Ledger.of(3, 0, {ONLINE: 1}, started=False, confirmed={ONLINE: 1, WALKIN: 1})

    assert ledger.admits_newcomer(WALKIN, [(ONLINE, 1), (WALKIN, 1)]) is False, "the earlier walk-in takes it"
    assert ledger.by_source == Counter({ONLINE: 1, WALKIN: 2})

    ledger = Ledger.of(2, 0, {ONLINE: 1}, started=False, confirmed={ONLINE: 1})

    assert ledger.admits_newcomer(WALKIN, [(ONLINE, 2)]) is True
    assert ledger.by_source == Counter({ONLINE: 1})


def test_ledger_emergencies_beyond_the_reserve_shrink_the_regular_seats() -> None:
    within = Ledger.of(6, 2, {}, started=False, confirmed={EMERGENCY: 2})
    beyond = Ledger.of(6, 2, {}, started=False, confirmed={EMERGENCY: 3})

    assert within.seats_for(WALKIN) == 4
    assert beyond.seats_for(WALKIN) == 3


def test_ledger_after_the_start_releases_reserve_and_holds_but_keeps_caps() -> None:
    ledger = Ledger.of(10, 2, {ONLINE: 3, PRIORITY: 2}, started=True, confirmed={WALKIN: 1, PRIORITY: 2})

    assert (ledger.reserve, ledger.holds_active) == (0, False)
    assert ledger.held_for_others(WALKIN) == 0
    assert ledger.seats_for(WALKIN) == 7
    assert ledger.seats_for(ONLINE) == 3
    assert ledger.seats_for(PRIORITY) == 0
    assert not ledger.fits(PRIORITY)
    assert ledger.regular_seats_left == 7


def test_ledger_is_full_when_no_source_has_a_seat_though_quota_sources_might() -> None:
    ledger = Ledger.of(3, 1, {ONLINE: 2}, started=False, confirmed={})

    assert ledger.regular_seats_left == 0, "what a walk-in desk sees"
    assert ledger.seats_for(ONLINE) == 2
    assert ledger.any_regular_seat

    ledger.take(ONLINE)
    ledger.take(ONLINE)

    assert ledger.quota_left(ONLINE) == 0
    assert not ledger.any_regular_seat
    assert ledger.fits(EMERGENCY)


def test_ledger_take_counts_towards_the_quota() -> None:
    ledger = Ledger.of(10, 0, {PRIORITY: 2}, started=False, confirmed={})

    taken = 0
    while ledger.fits(PRIORITY):
        ledger.take(PRIORITY)
        taken += 1

    assert taken == 2
    assert ledger.by_source[PRIORITY] == 2
    assert ledger.seats_for(WALKIN) == 8


def test_ledger_single_overflow_seat_for_emergencies_only() -> None:
    ledger = Ledger.of(2, 1, {}, started=False, confirmed={WALKIN: 1})

    assert ledger.fits(EMERGENCY) and ledger.emergency_seats_left == 1
    ledger.take(EMERGENCY)  # the reserved seat: N + E = C
    assert not ledger.overflow_used
    assert not ledger.fits(WALKIN)
    assert ledger.fits(EMERGENCY), "the overflow seat"
    ledger.take(EMERGENCY)
    assert ledger.overflow_used and ledger.occupied == 3
    assert not ledger.fits(EMERGENCY), "only one overflow seat"
    assert ledger.emergency_seats_left == 0
    assert ledger.seats_for(WALKIN) == 0 and not ledger.any_regular_seat


# -- template validation ------------------------------------------------------------------------------


def test_quotas_and_reserve_may_fill_the_capacity_exactly() -> None:
    fitted = template(MORNING, capacity=5, reserved=1, quotas={ONLINE: 2, PRIORITY: 2})

    assert fitted.quotas == {ONLINE: 2, PRIORITY: 2}


def test_quotas_plus_reserve_beyond_capacity_are_refused() -> None:
    with pytest.raises(ValidationError, match="must not exceed maxCapacity"):
        template(MORNING, capacity=5, reserved=2, quotas={ONLINE: 2, PRIORITY: 2})


def test_an_emergency_quota_is_refused() -> None:
    with pytest.raises(ValidationError, match="reserved seats, not a quota"):
        template(MORNING, capacity=5, reserved=1, quotas={EMERGENCY: 1})


def test_quotas_come_from_json_by_source_name() -> None:
    parsed = SlotTemplate.model_validate(
        {"startTime": "09:00", "endTime": "10:00", "maxCapacity": 6, "quotas": {"online": 3, "priority": 1}}
    )

    assert parsed.quotas == {ONLINE: 3, PRIORITY: 1}
    with pytest.raises(ValidationError):
        SlotTemplate.model_validate(
            {"startTime": "09:00", "endTime": "10:00", "maxCapacity": 6, "quotas": {"online": -1}}
        )
