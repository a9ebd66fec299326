"""Property tests: random sequences of bookings, emergencies, cancellations, no-shows, clock ticks and
reallocations on one doctor's day; the seat, waitlist, identity and ETA invariants hold after every step."""

import copy
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.domain.model import Slot, Token
from shared.contracts.values import SlotStatus, TokenSource, TokenStatus
from shared.errors import Rejection

from .kit import Clinic, at, template

LABELS = ("09:00-10:00", "10:00-11:00")

# Some of these are the same patient written differently: 0 and 1 (name + age), 3 and 4 (phone), 5 and 6 (id).
PATIENTS: tuple[dict[str, Any], ...] = (
    {"name": "Asha Rao", "age": 34},
    {"name": "  asha   RAO ", "age": 34},
    {"name": "Asha Rao", "age": 9},
    {"name": "Vikram Singh", "age": 50, "phone": "+91 98765 43210"},
    {"name": "Vikram S.", "age": 51, "phone": "9876543210"},
    {"name": "Meena Iyer", "age": 27, "patient_id": "MRN-7"},
    {"name": "M. Iyer", "age": 27, "patient_id": "mrn-7"},
    {"name": "Sunita Devi", "age": 45, "phone": "9123456780"},
    *({"name": f"Patient {n}", "age": 30 + n} for n in range(24)),
)


@dataclass(frozen=True)
class Book:
    patient: int
    source: TokenSource
    slot: int | None
    waitlist: bool


@dataclass(frozen=True)
class Emergency:
    patient: int
    slot: int | None


@dataclass(frozen=True)
class Cancel:
    pick: int


@dataclass(frozen=True)
class NoShow:
    pick: int


@dataclass(frozen=True)
class Tick:
    minutes: int


@dataclass(frozen=True)
class Reallocate:
    pass


Step = Book | Emergency | Cancel | NoShow | Tick | Reallocate

patients = st.integers(0, len(PATIENTS) - 1)
slot_choice = st.sampled_from([None, *range(len(LABELS))])
bookings = st.builds(Book, patients, st.sampled_from(TokenSource), slot_choice, st.booleans())
steps = st.one_of(
    *[bookings] * 4,  # bookings are what fills slots and waitlists
    st.builds(Emergency, patients, slot_choice),
    st.builds(Cancel, st.integers(0, 50)),
    st.builds(NoShow, st.integers(0, 50)),
    st.builds(Tick, st.integers(1, 40)),
    st.just(Reallocate()),
)


@st.composite
def clinics(draw: st.DrawFn) -> Clinic:
    """A doctor with two consecutive slots of random capacity C and reserve R < C, seen at 08:00."""
    templates = []
    for label in LABELS:
        capacity = draw(st.integers(1, 4))
        templates.append(template(label, capacity, reserved=draw(st.integers(0, capacity - 1))))
    return Clinic.open(*templates, now=at(8))


def _pick(clinic: Clinic, pick: int) -> str:
    tokens = clinic.day.tokens
    return tokens[pick % len(tokens)].token_number if tokens else "D1-20260105-T999"


def _apply(clinic: Clinic, step: Step) -> Token | None:
    """Run one step; returns the booked token, if the step booked one."""
    match step:
        case Book(patient, source, slot, waitlist):
            label = LABELS[slot] if slot is not None else None
            view = clinic.book(**PATIENTS[patient], source=source, slot=label, waitlist=waitlist)
            return clinic.token(view.token_number)
        case Emergency(patient, slot):
            view = clinic.emergency(**PATIENTS[patient], slot=LABELS[slot] if slot is not None else None)
            return clinic.token(view.token_number)
        case Cancel(pick):
            clinic.cancel(_pick(clinic, pick))
        case NoShow(pick):
            clinic.no_show(_pick(clinic, pick))
        case Reallocate():
            clinic.reallocate()
    return None


def _confirmed_seats(clinic: Clinic) -> dict[UUID, UUID]:
    """Which slot each confirmed token holds a seat in."""
    return {t.id: t.slot_id for t in clinic.day.tokens if t.status is TokenStatus.CONFIRMED}


def _is_open(slot: Slot, now: datetime) -> bool:
    return slot.status is not SlotStatus.CANCELLED and now < slot.ends_at


def _check_day(clinic: Clinic, settled_at: datetime) -> None:
    """Invariants of the day as settled by the last successful command, at ``settled_at``."""
    day, release = clinic.day, clinic.ws.policy.release_reserve_at_start
    for slot in day.slots:
        occupied = day.occupancy(slot)
        assert occupied.regular + occupied.emergency <= slot.capacity + 1, slot.label()
        if settled_at < slot.starts_at:
            assert occupied.regular <= slot.capacity - slot.reserved, f"reserve of {slot.label()} not held"
        if _is_open(slot, settled_at) and day.in_slot(slot, TokenStatus.PENDING):
            assert day.regular_seats_left(slot, settled_at, release) == 0, f"waitlist of {slot.label()} not drained"

    active = [token.patient_key for token in day.tokens if token.status.is_active]
    assert len(active) == len(set(active)), "two active tokens for one patient"

    numbers = [token.token_number for token in day.tokens]
    assert len(numbers) == len(set(numbers))

    etas: list[datetime] = []
    for slot in day.slots:
        for token in day.in_slot(slot, TokenStatus.CONFIRMED):
            assert token.estimated_time is not None and token.estimated_time >= slot.starts_at
            etas.append(token.estimated_time)
        assert all(t.estimated_time is None for t in day.in_slot(slot, TokenStatus.PENDING))
    assert etas == sorted(etas), "ETAs out of consultation order"


def _check_booked(clinic: Clinic, token: Token) -> None:
    """A newcomer is seated ahead of a waiting patient of its slot only with a strictly better priority."""
    if token.is_emergency or token.status is not TokenStatus.CONFIRMED:
        return
    waiting = clinic.day.in_slot(clinic.day.slot(token.slot_id), TokenStatus.PENDING)
    assert all(other.priority > token.priority for other in waiting), "a newcomer jumped the waitlist"


def _run(clinic: Clinic, script: list[Step], settled_at: datetime) -> datetime:
    """Apply the steps, checking the invariants after each; returns when the day was last settled."""
    for step in script:
        if isinstance(step, Tick):
            clinic.now += timedelta(minutes=step.minutes)
            continue
        tokens_before = copy.deepcopy(clinic.day.tokens)
        slots_before = copy.deepcopy(clinic.day.slots)
        seats_before = _confirmed_seats(clinic)
        clinic.take_events()
        try:
            booked = _apply(clinic, step)
        except Rejection:
            assert clinic.day.tokens == tokens_before, "a rejection changed tokens"
            assert clinic.day.slots == slots_before, "a rejection changed slots"
            assert clinic.take_events() == [], "a rejection emitted events"
        else:
            settled_at = clinic.now
            _check_transition(clinic, step, seats_before, booked)
        _check_day(clinic, settled_at)
    return settled_at


def _check_transition(clinic: Clinic, step: Step, seats_before: dict[UUID, UUID], booked: Token | None) -> None:
    ended = {t.id for t in clinic.day.tokens if t.status in (TokenStatus.CANCELLED, TokenStatus.NO_SHOW)}
    seats_after = _confirmed_seats(clinic)
    for token_id, slot_id in seats_before.items():
        if token_id not in ended:
            assert seats_after.get(token_id) == slot_id, "a confirmed token was bumped"
    if booked is not None:
        _check_booked(clinic, booked)
    if isinstance(step, Reallocate):
        ended_slots = {s.id for s in clinic.day.slots if clinic.now >= s.ends_at}
        waiting = [t for t in clinic.day.tokens if t.status is TokenStatus.PENDING]
        assert not any(t.slot_id in ended_slots for t in waiting), "reallocate left a waitlist in an ended slot"
        tokens_before = copy.deepcopy(clinic.day.tokens)
        clinic.take_events()
        assert clinic.reallocate()["changed"] is False, "reallocate is not idempotent"
        assert clinic.day.tokens == tokens_before and clinic.take_events() == []


scripts = st.lists(steps, min_size=8, max_size=25)


@settings(max_examples=150, deadline=None)
@given(clinic=clinics(), morning=scripts, later=st.integers(60, 150), rest=scripts)
def test_invariants_hold_after_every_step(clinic: Clinic, morning: list[Step], later: int, rest: list[Step]) -> None:
    """Steps before the slots start, then a jump of the clock into the OPD session, then more steps."""
    settled_at = _run(clinic, morning, clinic.now)
    clinic.now = max(clinic.now, at(8) + timedelta(minutes=later))
    _run(clinic, rest, settled_at)


regular_sources = st.sampled_from([source for source in TokenSource if source is not TokenSource.EMERGENCY])


@settings(max_examples=100, deadline=None)
@given(
    capacity=st.integers(2, 5),
    data=st.data(),
    waiting=st.lists(regular_sources, min_size=1, max_size=4),
    newcomer=regular_sources,
    minutes_in=st.integers(0, 59),
)
def test_seats_released_at_slot_start_go_by_priority_then_arrival(
    capacity: int, data: st.DataObject, waiting: list[TokenSource], newcomer: TokenSource, minutes_in: int
) -> None:
    """Whoever books first after the reserve is released, the seats go to the best (priority, arrival)."""
    reserved = data.draw(st.integers(1, capacity - 1), label="reserved")
    clinic = Clinic.open(template(LABELS[0], capacity, reserved))
    for _ in range(capacity - reserved):
        clinic.book(slot=LABELS[0])
    candidates = [clinic.token(clinic.book(slot=LABELS[0], source=source).token_number) for source in waiting]
    assert all(token.status is TokenStatus.PENDING for token in candidates)

    clinic.now = at(9, minutes_in)
    candidates.append(clinic.token(clinic.book(slot=LABELS[0], source=newcomer).token_number))

    best = sorted(candidates, key=lambda token: token.order_key)[:reserved]
    assert {t.id for t in candidates if t.status is TokenStatus.CONFIRMED} == {t.id for t in best}
