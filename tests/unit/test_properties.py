"""Property tests: random sequences of bookings, emergencies, cancellations, no-shows, clock ticks,
reallocations, weekly-slot changes and doctor unavailability on one doctor's day; the seat, quota, waitlist,
identity and ETA invariants hold after every step."""

import copy
import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.domain.model import Slot, Token
from allocator.domain.workspace import EventDraft
from shared.contracts.events import DoctorSlotsUpdated, TokenCancelled, TokenMoved, TokenPromoted, TokenWaitlisted
from shared.contracts.values import SlotStatus, SlotTemplate, TokenSource, TokenStatus, Weekday
from shared.errors import Rejection

from .kit import Clinic, at, template

LABELS = ("09:00-10:00", "10:00-11:00")
EXTRA = "11:00-12:00"  # not in the first schedule; a slot change may add it
ALL_LABELS = (*LABELS, EXTRA)
# Doctor unavailable: mostly part of the day (a whole day away ends the script's bookings), sometimes a no-op.
RANGES = (None, *["09:00-10:00", "09:30-10:30", "10:00-11:00", "11:00-12:00", "08:00-09:00"] * 2)
WEEK = (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY, Weekday.SATURDAY)
REGULAR = tuple(source for source in TokenSource if source is not TokenSource.EMERGENCY)

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


@dataclass(frozen=True)
class UpdateSlots:
    templates: tuple[SlotTemplate, ...]
    working_days: tuple[Weekday, ...] | None


@dataclass(frozen=True)
class Unavailable:
    between: str | None


Step = Book | Emergency | Cancel | NoShow | Tick | Reallocate | UpdateSlots | Unavailable


@st.composite
def templates(draw: st.DrawFn, label: str) -> SlotTemplate:
    """Random capacity C, reserve R < C and quotas for some sources adding up to at most C - R."""
    capacity = draw(st.integers(1, 4))
    reserved = draw(st.integers(0, capacity - 1))
    quotas: dict[TokenSource, int] = {}
    room = capacity - reserved
    for source in draw(st.lists(st.sampled_from(REGULAR), unique=True, max_size=2)):
        quotas[source] = draw(st.integers(0, room))
        room -= quotas[source]
    return template(label, capacity, reserved, quotas)


@st.composite
def slot_changes(draw: st.DrawFn) -> UpdateSlots:
    """A new weekly schedule: each slot kept (maybe with other seats), removed or added; rarely not Mondays."""
    chosen = [draw(st.none() | templates(label)) for label in ALL_LABELS]
    kept = tuple(t for t in chosen if t is not None) or (draw(templates(LABELS[0])),)
    working_days = draw(st.sampled_from([*[None] * 6, WEEK, WEEK, (Weekday.TUESDAY,)]))
    return UpdateSlots(kept, working_days)


patients = st.integers(0, len(PATIENTS) - 1)
slot_choice = st.sampled_from([None, *range(len(ALL_LABELS))])
bookings = st.builds(Book, patients, st.sampled_from(TokenSource), slot_choice, st.booleans())
# Weighted by repetition in a sampled list (``one_of`` would treat the repeats as one branch).
_weighted: list[st.SearchStrategy[Step]] = [
    *[bookings] * 8,  # bookings are what fills slots and waitlists
    st.builds(Emergency, patients, slot_choice),
    *[st.builds(Cancel, st.integers(0, 50))] * 2,
    st.builds(NoShow, st.integers(0, 50)),
    *[st.builds(Tick, st.integers(1, 40))] * 2,
    st.just(Reallocate()),
    slot_changes(),
    st.builds(Unavailable, st.sampled_from(RANGES)),
]
steps = st.sampled_from(_weighted).flatmap(lambda strategy: strategy)
SCHEDULE_STEPS = (UpdateSlots, Unavailable)
TOLD_ONCE = (TokenMoved, TokenWaitlisted, TokenCancelled, TokenPromoted)


@st.composite
def clinics(draw: st.DrawFn) -> Clinic:
    """A doctor with two consecutive slots of random capacity C, reserve R < C and quotas, seen at 08:00."""
    return Clinic.open(*(draw(templates(label)) for label in LABELS), now=at(8))


def _pick(clinic: Clinic, pick: int) -> str:
    tokens = clinic.day.tokens
    return tokens[pick % len(tokens)].token_number if tokens else "D1-20260105-T999"


def _apply(clinic: Clinic, step: Step) -> Token | None:
    """Run one step; returns the booked token, if the step booked one."""
    match step:
        case Book(patient, source, slot, waitlist):
            label = ALL_LABELS[slot] if slot is not None else None
            view = clinic.book(**PATIENTS[patient], source=source, slot=label, waitlist=waitlist)
            return clinic.token(view.token_number)
        case Emergency(patient, slot):
            view = clinic.emergency(**PATIENTS[patient], slot=ALL_LABELS[slot] if slot is not None else None)
            return clinic.token(view.token_number)
        case Cancel(pick):
            clinic.cancel(_pick(clinic, pick))
        case NoShow(pick):
            clinic.no_show(_pick(clinic, pick))
        case Reallocate():
            clinic.reallocate()
        case UpdateSlots(new_templates, working_days):
            clinic.update_slots(*new_templates, working_days=working_days)
        case Unavailable(between):
            clinic.unavailable(between=between)
    return None


def _confirmed_seats(clinic: Clinic) -> dict[UUID, UUID]:
    """Which slot each confirmed token holds a seat in."""
    return {t.id: t.slot_id for t in clinic.day.tokens if t.status is TokenStatus.CONFIRMED}


def _is_open(slot: Slot, now: datetime) -> bool:
    return slot.status is not SlotStatus.CANCELLED and now < slot.ends_at


def _committed(slot: Slot, counts: Counter[TokenSource]) -> int:
    """Regular seats taken or held: every token of a source without a quota, max(taken, quota) for the others."""
    unlimited = sum(n for s, n in counts.items() if s not in slot.quotas and s is not TokenSource.EMERGENCY)
    return unlimited + sum(max(counts[s], quota) for s, quota in slot.quotas.items())


def _check_slots(clinic: Clinic, settled_at: datetime) -> None:
    """The seat rule, the quotas and the waitlist, per slot, as settled at ``settled_at``."""
    day, release = clinic.day, clinic.ws.policy.release_reserve_at_start
    for slot in day.slots:
        label = slot.label()
        counts = day.confirmed_by_source(slot)
        emergency = counts[TokenSource.EMERGENCY]
        regular = sum(counts.values()) - emergency
        assert regular + emergency <= slot.capacity + 1, f"{label}: more than C + 1 seated"
        assert regular <= slot.capacity, f"{label}: the overflow seat holds a regular token"
        for source, quota in slot.quotas.items():
            assert counts[source] <= quota, f"{label}: the {source} quota is exceeded"
        if slot.status is SlotStatus.CANCELLED:
            assert not [t for t in day.tokens if t.slot_id == slot.id and t.status.is_active], f"{label}: cancelled"
            continue
        if settled_at < slot.starts_at:
            assert _committed(slot, counts) + slot.reserved <= slot.capacity, f"{label}: reserve or quota not held"
        if _is_open(slot, settled_at):
            ledger = day.ledger(slot, settled_at, release)
            waiting = day.in_slot(slot, TokenStatus.PENDING)
            assert not [t for t in waiting if ledger.fits(t.source)], f"{label}: a waiting token fits a free seat"


def _check_day(clinic: Clinic, settled_at: datetime, seen: set[UUID]) -> None:
    """Invariants of the day as settled by the last successful command, at ``settled_at``."""
    day = clinic.day
    _check_slots(clinic, settled_at)

    slot_ids = {slot.id for slot in day.slots}
    ids = [token.id for token in day.tokens]
    assert len(ids) == len(set(ids)) and seen <= set(ids), "a token was lost or doubled"
    seen.update(ids)
    for token in day.tokens:
        assert isinstance(token.status, TokenStatus) and token.slot_id in slot_ids
        assert not (token.is_emergency and token.status is TokenStatus.PENDING), "an emergency waits"

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
    """A newcomer is seated ahead of a waiting patient of no worse priority only if that patient could not have
    had the seat anyway (its quota is full, or the seats left are held for other sources)."""
    if token.is_emergency or token.status is not TokenStatus.CONFIRMED:
        return
    day = clinic.day
    slot = day.slot(token.slot_id)
    without_newcomer = day.ledger(slot, clinic.now, clinic.ws.policy.release_reserve_at_start)
    without_newcomer.by_source[token.source] -= 1
    for other in day.in_slot(slot, TokenStatus.PENDING):
        if other.priority <= token.priority:
            assert not without_newcomer.fits(other.source), "a newcomer jumped the waitlist"


@dataclass(frozen=True)
class Before:
    """The day just before a step."""

    tokens: list[Token]
    slots: list[Slot]

    @property
    def places(self) -> dict[UUID, tuple[UUID, TokenStatus]]:
        return {t.id: (t.slot_id, t.status) for t in self.tokens}

    def slot(self, slot_id: UUID) -> Slot:
        return next(slot for slot in self.slots if slot.id == slot_id)


def _values(entities: list[Token] | list[Slot]) -> list[tuple[object, ...]]:
    """Entities compare by identity; their copies are compared field by field."""
    return [dataclasses.astuple(entity) for entity in entities]


def _run(clinic: Clinic, script: list[Step], settled_at: datetime, seen: set[UUID]) -> datetime:
    """Apply the steps, checking the invariants after each; returns when the day was last settled."""
    for step in script:
        if isinstance(step, Tick):
            clinic.now += timedelta(minutes=step.minutes)
            continue
        before = Before(copy.deepcopy(clinic.day.tokens), copy.deepcopy(clinic.day.slots))
        clinic.take_events()
        try:
            booked = _apply(clinic, step)
        except Rejection:
            assert _values(clinic.day.tokens) == _values(before.tokens), "a rejection changed tokens"
            assert _values(clinic.day.slots) == _values(before.slots), "a rejection changed slots"
            assert clinic.take_events() == [], "a rejection emitted events"
        else:
            settled_at = clinic.now
            _check_transition(clinic, step, before, booked, clinic.take_events())
        _check_day(clinic, settled_at, seen)
    return settled_at


def _check_transition(
    clinic: Clinic, step: Step, before: Before, booked: Token | None, events: list[EventDraft[Any]]
) -> None:
    if isinstance(step, SCHEDULE_STEPS):
        _check_schedule_change(clinic, before, events)
    else:
        ended = {t.id for t in clinic.day.tokens if t.status in (TokenStatus.CANCELLED, TokenStatus.NO_SHOW)}
        seats_after = _confirmed_seats(clinic)
        for token in before.tokens:
            if token.status is TokenStatus.CONFIRMED and token.id not in ended:
                assert seats_after.get(token.id) == token.slot_id, "a confirmed token was bumped"
    if booked is not None:
        _check_booked(clinic, booked)
    if isinstance(step, Reallocate):
        ended_slots = {s.id for s in clinic.day.slots if clinic.now >= s.ends_at}
        waiting = [t for t in clinic.day.tokens if t.status is TokenStatus.PENDING]
        assert not any(t.slot_id in ended_slots for t in waiting), "reallocate left a waitlist in an ended slot"
    if isinstance(step, Reallocate | UpdateSlots | Unavailable):
        tokens_before = copy.deepcopy(clinic.day.tokens)
        slots_before = copy.deepcopy(clinic.day.slots)
        again = _apply_again(clinic, step)
        assert again is False, f"{type(step).__name__} is not idempotent"
        assert _values(clinic.day.tokens) == _values(tokens_before)
        assert _values(clinic.day.slots) == _values(slots_before)
        assert not [e for e in clinic.take_events() if e.kind is not DoctorSlotsUpdated]


def _apply_again(clinic: Clinic, step: Reallocate | UpdateSlots | Unavailable) -> bool:
    """Run the same step a second time; whether it says it changed anything."""
    match step:
        case Reallocate():
            return bool(clinic.reallocate()["changed"])
        case UpdateSlots(new_templates, working_days):
            return bool(clinic.update_slots(*new_templates, working_days=working_days)["rescheduled"])
        case Unavailable(between):
            return bool(clinic.unavailable(between=between)["changed"])


def _seats(slot: Slot) -> tuple[object, ...]:
    return (slot.status is SlotStatus.CANCELLED, slot.capacity, slot.reserved, slot.quotas, slot.ends_at)


def _check_schedule_change(clinic: Clinic, before: Before, events: list[EventDraft[Any]]) -> None:
    """Displaced patients go to later slots only, a confirmed one only from a cancelled or changed slot, and
    everyone whose slot or status changed is told exactly once (moved, waitlisted, cancelled or promoted)."""
    day = clinic.day
    told = Counter(e.payload.token.id for e in events if e.kind in TOLD_ONCE)
    places = before.places
    for token in day.tokens:
        old_slot_id, old_status = places[token.id]
        changed = (token.slot_id, token.status) != (old_slot_id, old_status)
        assert told[token.id] == (1 if changed else 0), f"{token.short_number} told {told[token.id]} times"
        if not changed:
            continue
        old, new = before.slot(old_slot_id), day.slot(token.slot_id)
        assert new.starts_at >= old.starts_at, "re-seated in an earlier slot"
        if old_status is TokenStatus.CONFIRMED:
            assert _seats(old) != _seats(day.slot(old_slot_id)), "a confirmed token left a slot that did not change"
        if token.status is TokenStatus.CANCELLED:
            later = [s for s in day.open_slots(clinic.now) if s.id != old.id and s.starts_at >= old.starts_at]
            assert token.is_emergency or not later, "cancelled though a later slot could take it as waiting"


scripts = st.lists(steps, min_size=8, max_size=25)


@settings(max_examples=150, deadline=None)
@given(clinic=clinics(), morning=scripts, later=st.integers(60, 150), rest=scripts)
def test_invariants_hold_after_every_step(clinic: Clinic, morning: list[Step], later: int, rest: list[Step]) -> None:
    """Steps before the slots start, then a jump of the clock into the OPD session, then more steps."""
    seen: set[UUID] = set()
    settled_at = _run(clinic, morning, clinic.now, seen)
    clinic.now = max(clinic.now, at(8) + timedelta(minutes=later))
    _run(clinic, rest, settled_at, seen)


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
