"""The same cases against both implementations of the processor's ports: PostgreSQL's and the in-memory one.

The processor's unit tests trust the in-memory store; these cases are why they may.
"""

from collections.abc import AsyncIterator
from datetime import date
from typing import Any
from uuid import uuid4

import pytest

from allocator.adapters.memory_store import MemoryStore
from allocator.adapters.postgres_store import PostgresStore
from allocator.app import build_policy
from allocator.domain.alternatives import seats_of_day
from allocator.domain.views import token_view
from allocator.domain.workspace import Changes
from allocator.service.ports import BatchWrite, Fenced, InboxRow, StoredReply
from allocator.service.processor import ShardProcessor, payload_hash
from allocator.settings import AllocatorSettings
from shared import db
from shared.clock import ManualClock
from shared.contracts.commands import (
    Command,
    DelayDoctor,
    DelayDoctorPayload,
    UpdateDoctorSlots,
    UpdateDoctorSlotsPayload,
)
from shared.contracts.replies import ErrorInfo, Reply
from shared.contracts.values import TokenSource
from shared.errors import ErrorCode
from tests.support.commands import book_command, create_doctor_command

TODAY = date(2026, 12, 1)
Store = MemoryStore | PostgresStore


@pytest.fixture(params=["memory", "postgres"])
async def store(request: pytest.FixtureRequest, allocator_settings: AllocatorSettings) -> AsyncIterator[Store]:
    if request.param == "memory":
        yield MemoryStore()
        return
    pool = await db.create_pool(allocator_settings.writer_dsn)
    try:
        yield PostgresStore(pool, allocator_settings.zone)
    finally:
        await pool.close()


def _processor(store: Store, settings: AllocatorSettings, clock: ManualClock, holder: str = "test") -> ShardProcessor:
    return ShardProcessor(store, store, 0, holder, build_policy(settings), clock, 1)


async def _booked_day(store: Store, settings: AllocatorSettings, clock: ManualClock) -> tuple[Any, list[Reply]]:
    """A doctor (two regular seats) with three bookings: two confirmed, one waiting."""
    doctor = create_doctor_command(capacity=3)
    doctor_id = doctor.payload.doctor_id
    bookings = [book_command(doctor_id, f"P{n}") for n in range(3)]
    replies = await _processor(store, settings, clock).process([doctor, *bookings])
    assert all(reply.ok for reply in replies)
    return doctor, replies


async def test_a_committed_day_reads_back_as_it_was_decided(
    store: Store, allocator_settings: AllocatorSettings, clock: ManualClock
) -> None:
    doctor, replies = await _booked_day(store, allocator_settings, clock)
    doctor_id = doctor.payload.doctor_id

    loaded = await store.load_doctor(doctor_id)
    assert loaded is not None
    assert (loaded.code, loaded.name, loaded.event_sequence) == ("D1", "Dr. Queue", 3 + 1)
    assert [t.max_capacity for t in loaded.templates] == [3]
    day = await store.load_day(loaded, TODAY)
    views = [token_view(day, token).model_dump(mode="json", by_alias=True) for token in day.tokens]
    decided = [reply.result["token"] for reply in replies[1:] if reply.result]
    assert [(v["id"], v["status"], v["tokenNumber"]) for v in views] == [
        (d["id"], d["status"], d["tokenNumber"]) for d in decided
    ]
    assert await store.materialized_dates(doctor_id, TODAY) == [TODAY]
    assert await store.doctors_with_day(TODAY) == [doctor_id]
    number = decided[2]["tokenNumber"]
    assert await store.locate_token(doctor_id, number.lower()) == TODAY
    assert await store.locate_token(doctor_id, f" {decided[0]['id']} ") == TODAY
    assert await store.locate_token(doctor_id, "nothing") is None
    assert await store.slot_seats([doctor_id, uuid4()], TODAY) == {doctor_id: seats_of_day(day)}


async def test_etas_that_alone_moved_read_back_as_they_were_decided(
    store: Store, allocator_settings: AllocatorSettings, clock: ManualClock
) -> None:
    """A paid-priority booking goes ahead of the walk-ins and moves their ETAs a little (too little to tell them):
    both stores keep the moves, and the update times that come with them."""
    doctor = create_doctor_command(capacity=30)
    doctor_id = doctor.payload.doctor_id
    processor = _processor(store, allocator_settings, clock)
    walk_ins = [book_command(doctor_id, f"W{n}") for n in range(3)]
    await processor.process([doctor, *walk_ins])
    loaded = await store.load_doctor(doctor_id)
    assert loaded is not None
    before = {t.id: t.estimated_time for t in (await store.load_day(loaded, TODAY)).tokens}

    reply = (await processor.process([book_command(doctor_id, "Paid", source=TokenSource.PRIORITY)]))[0]

    assert reply.ok and reply.result is not None
    held = processor.days[(doctor_id, TODAY)]
    read = await store.load_day(loaded, TODAY)
    assert {t.id: (t.estimated_time, t.updated_at) for t in read.tokens} == {
        t.id: (t.estimated_time, t.updated_at) for t in held.tokens
    }
    moved = [t for t in read.tokens if t.id in before and t.estimated_time != before[t.id]]
    assert len(moved) == 3, "every walk-in's ETA moved"
    assert all(t.announced_eta == before[t.id] for t in moved), "none was told: a move too small to tell"


async def test_specialists_are_any_case_by_name_and_limited(
    store: Store, allocator_settings: AllocatorSettings, clock: ManualClock
) -> None:
    named = [("Dr. C", "General Medicine"), ("Dr. A", "general medicine"), ("Dr. B", "General Medicine")]
    doctors: list[Command] = [
        command.model_copy(
            update={"payload": command.payload.model_copy(update={"name": name, "specialization": specialization})}
        )
        for command, (name, specialization) in zip([create_doctor_command() for _ in named], named, strict=True)
    ]
    assert all(reply.ok for reply in await _processor(store, allocator_settings, clock).process(doctors))

    found = await store.specialists("GENERAL MEDICINE", 2)

    assert [d.name for d in found] == ["Dr. A", "Dr. B"]


async def test_a_stale_epoch_commits_nothing(
    store: Store, allocator_settings: AllocatorSettings, clock: ManualClock
) -> None:
    first = await store.acquire_lease(0, "first")
    second = await store.acquire_lease(0, "second")
    assert second == first + 1
    command = create_doctor_command()
    reply = Reply(command_id=command.command_id, ok=True, result={})
    row = InboxRow(command, payload_hash(command), reply, "key:desk")

    with pytest.raises(Fenced):
        await store.commit(BatchWrite(0, first, Changes(), inbox=[row]))
    with pytest.raises(Fenced):
        await store.record_failure(0, first, row)

    assert await store.commit(BatchWrite(0, second, Changes(), inbox=[row])) == {}, "nothing was recorded"


async def test_a_command_with_an_outcome_already_makes_the_commit_write_nothing_and_return_it(
    store: Store, allocator_settings: AllocatorSettings, clock: ManualClock
) -> None:
    doctor, replies = await _booked_day(store, allocator_settings, clock)
    epoch = await store.acquire_lease(0, "again")
    again = book_command(doctor.payload.doctor_id, "P0", replies[1].command_id)
    new = create_doctor_command()
    rows = [
        InboxRow(again, payload_hash(again), Reply(command_id=again.command_id, ok=True, result={}), "internal"),
        InboxRow(new, payload_hash(new), Reply(command_id=new.command_id, ok=True, result={}), "internal"),
    ]

    found = await store.commit(BatchWrite(0, epoch, Changes(), inbox=rows))

    assert list(found) == [again.command_id]
    assert found[again.command_id].reply == replies[1]
    assert found[again.command_id].payload_hash == payload_hash(again)
    assert await store.commit(BatchWrite(0, epoch, Changes(), inbox=rows[1:])) == {}, "nothing was written before"


async def test_a_failure_is_recorded_once_and_never_over_an_outcome(
    store: Store, allocator_settings: AllocatorSettings, clock: ManualClock
) -> None:
    epoch = await store.acquire_lease(0, "test")
    command = create_doctor_command()
    refused = Reply(
        command_id=command.command_id, ok=False, error=ErrorInfo(code=ErrorCode.INTERNAL_ERROR, message="broke")
    )
    later = Reply(command_id=command.command_id, ok=False, error=ErrorInfo(code=ErrorCode.FORBIDDEN, message="no"))

    first = await store.record_failure(0, epoch, InboxRow(command, payload_hash(command), refused, "amqp:kiosk"))
    second = await store.record_failure(0, epoch, InboxRow(command, payload_hash(command), later, "amqp:other"))

    assert first == second == StoredReply(payload_hash(command), refused, "amqp:kiosk")  # what the inbox holds

    found = await store.commit(BatchWrite(0, epoch, Changes(), inbox=[InboxRow(command, "", refused, None)]))
    assert (found[command.command_id].reply, found[command.command_id].issuer) == (refused, "amqp:kiosk")


async def test_doctor_codes_are_never_handed_out_twice(store: Store) -> None:
    codes = [await store.reserve_doctor_code() for _ in range(3)]
    assert len(set(codes)) == 3 and all(code.startswith("D") for code in codes)


async def test_changed_templates_and_a_delay_read_back_and_unlisted_templates_stay(
    store: Store, allocator_settings: AllocatorSettings, clock: ManualClock
) -> None:
    doctor, _ = await _booked_day(store, allocator_settings, clock)
    doctor_id = doctor.payload.doctor_id
    slots = [
        {"startTime": "09:00", "endTime": "11:00", "maxCapacity": 5},
        {"startTime": "14:00", "endTime": "15:00", "maxCapacity": 2},
    ]
    commands: list[Command] = [
        UpdateDoctorSlots(
            command_id=uuid4(),
            issued_at=clock.now(),
            source="test",
            payload=UpdateDoctorSlotsPayload.model_validate({"doctorId": doctor_id, "timeSlots": slots}),
        ),
        DelayDoctor(
            command_id=uuid4(),
            issued_at=clock.now(),
            source="test",
            payload=DelayDoctorPayload(doctor_id=doctor_id, minutes=20),
        ),
        book_command(doctor_id, "After"),  # changes the doctor (its event sequence), not its templates
    ]
    replies = await _processor(store, allocator_settings, clock, "second").process(commands)
    assert all(reply.ok for reply in replies), replies

    loaded = await store.load_doctor(doctor_id)
    assert loaded is not None
    assert [(t.start_time.isoformat(), t.max_capacity) for t in loaded.templates] == [("09:00:00", 5), ("14:00:00", 2)]
    day = await store.load_day(loaded, TODAY)
    assert day.delay_minutes == 20 and day.resume_at is not None
    assert [s.capacity for s in day.slots][:1] == [5]
    assert sorted(t.patient.name for t in day.tokens) == ["After", "P0", "P1", "P2"]
