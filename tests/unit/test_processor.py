"""The batch processor on the in-memory store: replies, redeliveries, fencing, poison, events and their marks."""

from datetime import datetime
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from allocator.adapters.memory_store import MemoryStore
from allocator.domain.model import Doctor
from allocator.domain.policy import Policy
from allocator.service.ports import BatchWrite, Fenced, StoredReply
from allocator.service.processor import INTERNAL, BatchConflict, PoisonCommand, ShardProcessor
from allocator.service.recent_outcomes import RecentOutcomes
from shared.authority import Principal
from shared.clock import ManualClock
from shared.contracts.caller import Role
from shared.contracts.events import AnyEvent
from shared.contracts.replies import ErrorInfo, Reply
from shared.contracts.values import TokenStatus
from shared.errors import ErrorCode, TransientError
from tests.support.commands import book_command, create_doctor_command

ZONE = ZoneInfo("Asia/Kolkata")
MORNING = datetime(2026, 12, 1, 8, 0, tzinfo=ZONE)
DESK = Principal("key:desk", Role.STAFF)
KIOSK = Principal("amqp:kiosk", Role.BOOKING)


class Outlet:
    """An outbox relay that confirms every event it was handed by the time the next batch commits."""

    def __init__(self) -> None:
        self.handed: list[AnyEvent] = []
        self.sweeps = 0
        self.given_back: list[UUID] = []

    def committed(self, events: list[AnyEvent]) -> None:
        self.handed.extend(events)

    def sweep_first(self) -> None:
        self.sweeps += 1

    def take_confirmed(self) -> list[UUID]:
        confirmed = [e.event_id for e in self.handed] + self.given_back
        self.handed, self.given_back = [], []
        return confirmed

    def give_back(self, event_ids: list[UUID]) -> None:
        self.given_back = event_ids + self.given_back


def _processor(store: MemoryStore, holder: str = "test", outlet: Outlet | None = None) -> ShardProcessor:
    policy = Policy(zone=ZONE, booking_horizon_days=30)
    return ShardProcessor(store, store, 0, holder, policy, ManualClock(MORNING), 1, outlet=outlet)


def _statuses(store: MemoryStore) -> dict[str, TokenStatus]:
    return {t.patient.name: t.status for t in store.tokens.values()}


async def test_a_batch_is_decided_in_order_and_committed_once() -> None:
    store = MemoryStore()
    doctor = create_doctor_command(capacity=3)  # two regular seats before the slot starts
    doctor_id = doctor.payload.doctor_id
    replies = await _processor(store).process([doctor, *(book_command(doctor_id, f"P{n}") for n in range(3))])

    assert [r.ok for r in replies] == [True] * 4
    assert [r.result["token"]["status"] for r in replies[1:] if r.result] == ["confirmed", "confirmed", "pending"]
    assert store.commits == 1
    assert _statuses(store) == {"P0": TokenStatus.CONFIRMED, "P1": TokenStatus.CONFIRMED, "P2": TokenStatus.PENDING}
    assert set(store.inbox) == {r.command_id for r in replies}


async def test_the_kept_state_is_the_stores_own_copy_never_shared() -> None:
    store = MemoryStore()
    doctor = create_doctor_command()
    processor = _processor(store)
    await processor.process([doctor, book_command(doctor.payload.doctor_id, "Kept")])

    held = next(t for day in processor.days.values() for t in day.tokens)
    stored = next(iter(store.tokens.values()))
    assert held is not stored and held.id == stored.id


async def test_a_redelivered_command_gets_its_first_reply_and_changes_nothing() -> None:
    store = MemoryStore()
    doctor = create_doctor_command()
    booking = book_command(doctor.payload.doctor_id, "Once")
    first = await _processor(store, "first").process([doctor, booking])

    # Another holder, with nothing kept, gets the same booking again beside a new one.
    again = await _processor(store, "second").process([booking, book_command(doctor.payload.doctor_id, "New")])

    assert again[0] == first[1]
    assert again[1].ok
    assert sorted(_statuses(store)) == ["New", "Once"]


async def test_a_command_id_is_its_first_senders_alone() -> None:
    """The same processor answers both repeats: from its memory of recent outcomes, with the inbox's checks."""
    store = MemoryStore()
    doctor = create_doctor_command()
    booking = book_command(doctor.payload.doctor_id, "Mine")
    processor = _processor(store)
    await processor.process([doctor, booking], [INTERNAL, DESK])

    other_sender = await processor.process([booking], [KIOSK])
    other_body = await processor.process([book_command(doctor.payload.doctor_id, "Else", booking.command_id)], [DESK])

    assert other_sender[0].error is not None and other_sender[0].error.code == ErrorCode.COMMAND_NOT_YOURS
    assert other_body[0].error is not None and other_body[0].error.code == ErrorCode.IDEMPOTENCY_KEY_REUSED
    assert list(_statuses(store)) == ["Mine"]


async def test_a_stale_holder_is_fenced_writes_nothing_and_forgets_what_it_kept() -> None:
    store = MemoryStore()
    doctor = create_doctor_command()
    doctor_id = doctor.payload.doctor_id
    stale, fresh = _processor(store, "stale"), _processor(store, "fresh")
    await stale.process([doctor])
    await fresh.process([book_command(doctor_id, "Fresh")])

    with pytest.raises(Fenced):
        await stale.process([book_command(doctor_id, "Stale")])

    assert stale.doctors == {} and stale.days == {} and stale.epoch is None
    assert list(_statuses(store)) == ["Fresh"]
    assert (await stale.process([book_command(doctor_id, "Back")]))[0].ok  # the lease back, the state reloaded
    assert sorted(_statuses(store)) == ["Back", "Fresh"]


async def test_a_command_that_breaks_its_handler_is_named_and_nothing_is_written() -> None:
    store = MemoryStore()
    doctor = create_doctor_command()
    await _processor(store).process([doctor])
    broken = ShardProcessor(store, store, 0, "broken", Policy(zone=ZONE), ManualClock(MORNING), 1, new_id=_no_ids)

    with pytest.raises(PoisonCommand) as raised:
        await broken.process([book_command(doctor.payload.doctor_id, "Boom")])

    assert raised.value.index == 0
    assert store.tokens == {} and broken.days == {}


def _no_ids() -> UUID:
    raise RuntimeError("no ids today")


async def test_a_dead_lettered_command_s_repeats_get_its_recorded_failure_without_running_it_again() -> None:
    """A kiosk repeats a command that broke its handler: the repeat is answered with the failure recorded as it
    was dead-lettered, from memory, and the handler is not run again (nor the shard's kept state dropped)."""
    store = MemoryStore()
    doctor = create_doctor_command()
    await _processor(store).process([doctor])
    calls: list[UUID] = []

    def failing_id() -> UUID:
        calls.append(uuid4())
        raise RuntimeError("no ids today")

    broken = ShardProcessor(store, store, 0, "broken", Policy(zone=ZONE), ManualClock(MORNING), 1, new_id=failing_id)
    booking = book_command(doctor.payload.doctor_id, "Boom")
    with pytest.raises(PoisonCommand):
        await broken.process([booking], [KIOSK])
    failure = Reply(
        command_id=booking.command_id, ok=False, error=ErrorInfo(code=ErrorCode.INTERNAL_ERROR, message="x")
    )

    recorded = await broken.record_failure(booking, failure, KIOSK)
    repeated = await broken.process([booking], [KIOSK])
    someone_else = await broken.record_failure(booking, failure, DESK)

    assert recorded == failure and repeated == [failure]
    assert len(calls) == 1  # the handler ran once
    assert someone_else.error is not None and someone_else.error.code == ErrorCode.COMMAND_NOT_YOURS


async def test_a_command_whose_events_cannot_be_sealed_is_named_and_nothing_is_written() -> None:
    store = MemoryStore()
    doctor = create_doctor_command()
    await _processor(store).process([doctor])
    handed_out: list[UUID] = []

    def one_id() -> UUID:  # the token gets an id; its event, sealed after the handler, does not
        if handed_out:
            raise RuntimeError("no more ids")
        handed_out.append(uuid4())
        return handed_out[-1]

    sealing = ShardProcessor(store, store, 0, "sealing", Policy(zone=ZONE), ManualClock(MORNING), 1, new_id=one_id)
    with pytest.raises(PoisonCommand) as raised:
        await sealing.process([book_command(doctor.payload.doctor_id, "Unsealed")])

    assert raised.value.index == 0 and isinstance(raised.value.cause, RuntimeError)
    assert store.tokens == {} and len(handed_out) == 1


async def test_committed_events_go_to_the_outlet_and_the_next_commit_marks_them_published() -> None:
    store = MemoryStore()
    outlet = Outlet()
    doctor = create_doctor_command()
    processor = _processor(store, outlet=outlet)

    await processor.process([doctor, book_command(doctor.payload.doctor_id, "First")])
    first_events = [e.event_id for e in outlet.handed]
    await processor.process([book_command(doctor.payload.doctor_id, "Second")])

    assert outlet.sweeps == 1, "the lease taken: what an earlier holder left goes out first"
    assert first_events and [e.event_id for e in store.outbox[: len(first_events)]] == first_events
    assert store.published == set(first_events)
    assert [e.sequence for e in store.outbox] == list(range(1, len(store.outbox) + 1))


async def test_confirmed_events_a_failed_commit_did_not_mark_are_marked_by_the_next() -> None:
    store = Flaky()
    outlet = Outlet()
    doctor = create_doctor_command()
    processor = _processor(store, outlet=outlet)
    await processor.process([doctor])
    confirmed = [e.event_id for e in outlet.handed]

    store.fail_next = "before"
    with pytest.raises(Exception, match="lost"):
        await processor.process([book_command(doctor.payload.doctor_id, "Lost")])
    assert outlet.given_back == confirmed and not store.published
    assert outlet.sweeps == 2, "the lease, then the failed commit: it might have committed"
    await processor.process([book_command(doctor.payload.doctor_id, "Kept")])

    assert store.published == set(confirmed)
    assert list(_statuses(store)) == ["Kept"]


class Flaky(MemoryStore):
    """Fails the next commit once: "before" it writes anything, or "after" (committed, the answer lost)."""

    fail_next: str | None = None

    async def commit(self, batch: BatchWrite) -> dict[UUID, object]:  # type: ignore[override]
        when, self.fail_next = self.fail_next, None
        if when == "before":
            raise ConnectionResetError("connection lost before the commit")
        found = await super().commit(batch)
        if when == "after":
            raise ConnectionResetError("the answer was lost after the commit")
        return found  # type: ignore[return-value]


async def test_a_full_doctors_waiting_patient_is_offered_a_colleague_with_seats() -> None:
    store = MemoryStore()
    asked = create_doctor_command(capacity=2)  # one regular seat before the slot starts
    colleague = create_doctor_command(uuid4(), capacity=3)
    processor = _processor(store)
    await processor.process([asked, colleague])
    replies = await processor.process([book_command(asked.payload.doctor_id, f"A{n}") for n in range(2)])

    waiting = replies[1].result or {}
    assert waiting["token"]["status"] == "pending"
    assert [d["doctorId"] for d in waiting["suggestedDoctors"]] == [str(colleague.payload.doctor_id)]


class CountingReads(MemoryStore):
    specialist_reads = 0

    async def specialists(self, specialization: str, limit: int) -> list[Doctor]:
        self.specialist_reads += 1
        return await super().specialists(specialization, limit)


async def test_colleagues_the_shard_does_not_hold_are_read_again_only_after_two_seconds() -> None:
    store = CountingReads()
    asked = create_doctor_command(capacity=2)  # one regular seat before the slot starts
    other_shard = create_doctor_command(uuid4(), capacity=2)
    await _processor(store, "other").process([other_shard])
    processor = _processor(store)
    ticks = iter([0.0, 1.0, 1.9, 2.5])
    processor.colleague_seats.monotonic = lambda: next(ticks)
    await processor.process([asked])

    waiting = []
    for n in range(5):  # the first takes the seat, the others wait and are offered the colleague
        replies = await processor.process([book_command(asked.payload.doctor_id, f"A{n}")])
        waiting.append(replies[0].result or {})

    assert store.specialist_reads == 2, "read at 0 s, reused at 1 s and 1.9 s, read again at 2.5 s"
    assert [len(w.get("suggestedDoctors", [])) for w in waiting] == [0, 1, 1, 1, 1]


async def test_a_commit_whose_answer_was_lost_has_its_events_swept_before_later_ones() -> None:
    store = Flaky()
    outlet = Outlet()
    doctor = create_doctor_command()
    processor = _processor(store, outlet=outlet)
    await processor.process([doctor])
    booking = book_command(doctor.payload.doctor_id, "Lost answer")

    store.fail_next = "after"
    with pytest.raises(Exception, match="lost"):
        await processor.process([booking])
    retried = await processor.process([booking])  # the consumer's retry: the stored outcome

    assert retried[0].ok
    assert outlet.sweeps == 2, "the orphaned events go out with the sweep, before anything handed over later"
    assert len([t for t in store.tokens.values() if t.patient.name == "Lost answer"]) == 1


class CountingStore(MemoryStore):
    """Counts every batch call, the ones that found outcomes recorded before included."""

    calls: int = 0

    async def commit(self, batch: BatchWrite) -> dict[UUID, StoredReply]:
        self.calls += 1
        return await super().commit(batch)


async def test_a_repeat_of_a_command_decided_lately_is_answered_from_memory_keeping_the_held_state() -> None:
    store = CountingStore()
    doctor = create_doctor_command()
    booking = book_command(doctor.payload.doctor_id, "Asked twice")
    processor = _processor(store)
    first = await processor.process([doctor, booking])
    held = dict(processor.days)

    alone = await processor.process([booking])
    beside_new = await processor.process([book_command(doctor.payload.doctor_id, "New"), booking])

    assert alone == [first[1]] and beside_new[1] == first[1] and beside_new[0].ok
    assert store.calls == 2  # the first batch and the new booking's: the repeats needed none, nor a second round
    assert all(processor.days[key] is day for key, day in held.items())  # nothing reloaded
    assert sorted(_statuses(store)) == ["Asked twice", "New"]


async def test_outcomes_found_recorded_by_another_holder_answer_their_next_repeat_from_memory() -> None:
    store = CountingStore()
    doctor = create_doctor_command()
    booking = book_command(doctor.payload.doctor_id, "Taken over")
    first = await _processor(store, "before").process([doctor, booking])
    after = _processor(store, "after")

    found = await after.process([booking])  # decided, refused as recorded, answered with the stored reply
    calls = store.calls
    repeated = await after.process([booking])

    assert found == repeated == [first[1]]
    assert store.calls == calls  # the second repeat: no database call at all


def test_the_oldest_outcomes_are_forgotten_first() -> None:
    recent = RecentOutcomes(capacity=2)
    commands = [book_command(uuid4(), f"P{n}") for n in range(3)]
    outcome = StoredReply("hash", Reply(command_id=uuid4(), ok=True), None)
    recent.remember((c.command_id, outcome) for c in commands[:2])
    recent.remember([(commands[0].command_id, outcome)])  # used again: now the newest
    recent.remember([(commands[2].command_id, outcome)])

    assert set(recent.of(commands)) == {commands[0].command_id, commands[2].command_id} and len(recent) == 2


class Outage(Exception):
    """The store's connection dropped mid-batch."""


class StoreThatGoesAway(MemoryStore):
    """Its commits fail once ``failure`` is set: an outage it says may pass, or a failure that is the batch's own."""

    def __init__(self) -> None:
        super().__init__()
        self.failure: Exception | None = None

    def unavailable(self, exc: BaseException) -> bool:
        return isinstance(exc, Outage)

    async def commit(self, batch: BatchWrite) -> dict[UUID, StoredReply]:
        if self.failure is not None:
            raise self.failure
        return await super().commit(batch)


@pytest.mark.parametrize(("failure", "raised"), [(Outage(), TransientError), (ValueError("a bug"), BatchConflict)])
async def test_the_store_says_which_of_its_failures_are_worth_retrying(
    failure: Exception, raised: type[Exception]
) -> None:
    store = StoreThatGoesAway()
    doctor = create_doctor_command()
    processor = _processor(store)
    await processor.process([doctor])
    store.failure = failure

    with pytest.raises(raised):
        await processor.process([book_command(doctor.payload.doctor_id, "Kept waiting")])
    assert store.tokens == {}
