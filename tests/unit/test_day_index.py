"""The day's token index, its seat answers and the ETAs agree with a naive recomputation from the
token list, after random sequences of every command that moves tokens between slots and statuses."""

import contextlib
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from allocator.domain.day import SEATED, Day
from allocator.domain.eta import recompute_etas
from allocator.domain.index import TokenIndex
from allocator.domain.model import Slot, Token
from allocator.domain.policy import Policy
from shared.contracts.values import SlotStatus, TokenSource, TokenStatus
from shared.errors import Rejection

from .kit import ZONE, Clinic, at, template

LABELS = ("09:00-10:00", "10:00-11:00", "11:00-12:00")
SOURCES = tuple(TokenSource)


@dataclass(frozen=True)
class Step:
    action: str
    pick: int  # which patient, token, slot or schedule
    minutes: int


ACTIONS = (
    *["book"] * 6,
    "emergency",
    "cancel",
    "no_show",
    "check_in",
    *["call_next"] * 3,
    "complete",
    *["recall"] * 2,
    "delay",
    *["tick"] * 2,
    "reallocate",
    "update_slots",
    "unavailable",
)
steps = st.builds(Step, st.sampled_from(ACTIONS), st.integers(0, 200), st.integers(1, 30))


def _apply(clinic: Clinic, step: Step) -> None:
    tokens = clinic.day.tokens
    ref = tokens[step.pick % len(tokens)].token_number if tokens else "D1-20260105-T999"
    slot = LABELS[step.pick % len(LABELS)] if step.pick % 4 else None
    name = f"P{step.pick}" if step.pick % 5 == 1 else None  # mostly a new patient, sometimes one seen before
    match step.action:
        case "book":
            clinic.book(name, source=SOURCES[step.minutes % len(SOURCES)], slot=slot)
        case "emergency":
            clinic.emergency(name, slot=slot)
        case "cancel":
            clinic.cancel(ref)
        case "no_show":
            clinic.no_show(ref)
        case "check_in" | "complete" | "recall" if tokens:
            getattr(clinic, step.action)(ref)
        case "call_next":
            clinic.wait(minutes=step.minutes / 3)
            clinic.call_next()
        case "delay":
            clinic.delay(step.minutes)
        case "tick":
            clinic.wait(minutes=step.minutes)
            clinic.tick()
        case "reallocate":
            clinic.reallocate()
        case "update_slots":
            chosen = [label for index, label in enumerate(LABELS) if (step.pick >> index) & 1] or [LABELS[0]]
            clinic.update_slots(*(template(label, 1 + step.minutes % 5, 0) for label in chosen))
        case "unavailable":
            clinic.unavailable(between=slot)


def _naive_queue(day: Day, slot_id: object, status: TokenStatus) -> list[Token]:
    found = [t for t in day.tokens if t.slot_id == slot_id and t.status is status]
    return sorted(found, key=lambda token: token.order_key)  # stable: ties keep the day's order


def _check_index(day: Day, clinic: Clinic) -> None:
    index = day.filed
    fresh = TokenIndex.of(day.tokens)
    places = {(t.slot_id, t.status) for t in day.tokens} | set(index.queues)
    for slot_id, status in places:
        assert index.queue(slot_id, status) == _naive_queue(day, slot_id, status) == fresh.queue(slot_id, status)
    for slot_id in {t.slot_id for t in day.tokens} | set(index.seated):
        seated = Counter(t.source for t in day.tokens if t.slot_id == slot_id and t.status in SEATED)
        assert index.seated.get(slot_id, Counter()) == seated
        assert all(count > 0 for count in index.seated.get(slot_id, Counter()).values())
    for slot_id in {t.slot_id for t in day.tokens} | set(index.waiting):
        waiting = Counter(t.source for t in day.tokens if t.slot_id == slot_id and t.status is TokenStatus.PENDING)
        assert index.waiting.get(slot_id, Counter()) == waiting
        assert all(count > 0 for count in index.waiting.get(slot_id, Counter()).values())
    for token in day.tokens:
        assert day.token(str(token.id)) is token and day.token(token.token_number.lower()) is token
        active = next((t for t in day.tokens if t.patient_key == token.patient_key and t.status.is_active), None)
        assert day.active_token_of(token.patient_key) is active
        if token.status.is_active:
            assert day.position(token) == _naive_queue(day, token.slot_id, token.status).index(token) + 1
    assert day.serving() is next((t for t in day.tokens if t.in_consultation), None)
    assert day.next_arrival() == max((t.arrival for t in day.tokens), default=0) + 1
    for emergency in (True, False):
        assert day.next_ordinal(emergency) == sum(t.is_emergency == emergency for t in day.tokens) + 1
    release = clinic.ws.policy.release_reserve_at_start
    for slot in day.slots:
        active_in_slot = [t for t in day.tokens if t.slot_id == slot.id and t.status.is_active]
        assert day.active_in(slot) == active_in_slot
        fits = day.ledger(slot, clinic.now, release).any_regular_seat
        assert day.any_regular_seat(slot, clinic.now, release) == fits


def _naive_etas(day: Day, now: datetime, show_chance: float) -> dict[Token, datetime]:
    """The ETA walk done whole: from the patient in consultation on, in the order the doctor is expected to call
    (patients here first in the slots that have started, then the rest in queue order), each call due when the one
    before it ends, a patient not here yet counting ``show_chance`` of a consultation; told rounded up."""
    etas: dict[Token, datetime] = {}
    serving = day.serving()
    due = serving.called_at if serving else None
    turn = timedelta(minutes=day.consult_minutes(day.slot(serving.slot_id))) if serving else timedelta(0)
    waiting = [
        t
        for slot in day.slots
        if slot.status is not SlotStatus.CANCELLED
        for t in _naive_queue(day, slot.id, TokenStatus.CONFIRMED)
        if t.called_at is None
    ]
    started = [t for t in waiting if day.slot(t.slot_id).starts_at <= now]
    later = [t for t in waiting if t not in started]
    order = [t for t in started if t.checked_in_at] + [t for t in started if not t.checked_in_at] + later
    for token in order:
        slot = day.slot(token.slot_id)
        candidates = [slot.starts_at, now, *([day.resume_at] if day.resume_at else [])]
        candidates += [due + turn] if due is not None else []
        due = max(candidates)
        floored = due.replace(second=0, microsecond=0)
        etas[token] = (floored if floored == due else floored + timedelta(minutes=1)).astimezone(slot.starts_at.tzinfo)
        consult = timedelta(minutes=day.consult_minutes(slot))
        turn = consult if token.checked_in_at else consult * show_chance
    return etas


def _check_etas(day: Day, settled_at: datetime, show_chance: float) -> None:
    """The stored ETAs are those a whole walk gives, and walking again changes nothing."""
    expected = _naive_etas(day, settled_at, show_chance)
    serving = day.serving()
    for token in day.tokens:
        if token in expected:
            assert token.estimated_time == expected[token]
        elif token.status.is_active and token is not serving:
            assert token.estimated_time is None
    assert recompute_etas(day, settled_at, show_chance) == []
    _check_walk(day, settled_at)


def _check_walk(day: Day, settled_at: datetime) -> None:
    """The walk kept for the next one, which trusts it, holds the day's calls with a due time each, each slot's
    first position among them in call order, and the pace of each of those slots."""
    walk = day.eta_walk
    assert walk is not None
    assert walk.calls == day.expected_calls(settled_at)
    assert len(walk.dues) == len(walk.here) == len(walk.calls)
    firsts: dict[Slot, int] = {}
    for position, (_, slot) in enumerate(walk.calls):
        firsts.setdefault(slot, position)
    assert list(walk.firsts.items()) == list(firsts.items())
    assert set(firsts) <= set(walk.paces)


@settings(max_examples=200, deadline=None)
@given(
    capacities=st.tuples(*[st.integers(1, 4)] * 3),
    show_chance=st.sampled_from((0.0, 0.8, 1.0)),
    script=st.lists(steps, min_size=10, max_size=45),
)
def test_the_index_and_the_etas_agree_with_the_token_list(
    capacities: tuple[int, ...], show_chance: float, script: list[Step]
) -> None:
    """Small slots, so that waitlists form, are promoted and roll over; every command settles the day, a check-in
    too (its patient now counts a whole consultation, and in a slot that has started goes first)."""
    templates = (template(label, c, c // 3) for label, c in zip(LABELS, capacities, strict=True))
    clinic = Clinic.open(*templates, now=at(8), policy=Policy(zone=ZONE, show_chance=show_chance))
    settled_at = clinic.now
    for step in script:
        with contextlib.suppress(Rejection):
            _apply(clinic, step)
            settled_at = clinic.now
        _check_index(clinic.day, clinic)
        _check_etas(clinic.day, settled_at, show_chance)


@settings(max_examples=40, deadline=None)
@given(script=st.lists(steps, min_size=5, max_size=30))
def test_a_day_loaded_with_its_tokens_files_them_alike(script: list[Step]) -> None:
    """A day built from a token list (as the repository loads it) answers like the one the commands kept."""
    clinic = Clinic.open(template(LABELS[0], 4, 1), template(LABELS[1], 3, 0), now=at(8))
    for step in script:
        with contextlib.suppress(Rejection):
            _apply(clinic, step)
    kept = clinic.day
    loaded = Day(doctor=kept.doctor, date=kept.date, slots=kept.slots, tokens=list(kept.tokens))
    for slot in kept.slots:
        for status in TokenStatus:
            assert loaded.in_slot(slot, status) == kept.in_slot(slot, status)
    assert loaded.serving() is kept.serving()
    assert loaded.next_arrival() == kept.next_arrival()


def test_a_walk_kept_after_a_started_slot_keeps_every_slot_first_position() -> None:
    """Once two slots have started, a later slot's patient who is here is called first; when the doctor calls
    them, the rest of the day is due as before, but the later slot's first call is no longer where it was. The
    walk does not keep the last one's rest from a slot that has started (whose first positions would be wrong)."""
    clinic = Clinic.open(*(template(label, 4, 0) for label in LABELS), now=at(8))
    for label in ("09:00-10:00", "09:00-10:00", "10:00-11:00", "10:00-11:00", "11:00-12:00"):
        clinic.book(slot=label, source=TokenSource.ONLINE)
    clinic.wait(minutes=125)  # 10:05: the first two slots have started, nobody called yet
    here = clinic.day.in_slot(clinic.slot("10:00-11:00"), TokenStatus.CONFIRMED)[0]
    clinic.check_in(here.token_number)
    assert clinic.day.expected_calls(clinic.now)[0][0] is here  # here first, ahead of the first slot
    clinic.call_next()  # at the same moment: the one here is called, and no due time moves
    assert clinic.day.serving() is here
    _check_walk(clinic.day, clinic.now)
    _check_etas(clinic.day, clinic.now, clinic.ws.policy.show_chance)
