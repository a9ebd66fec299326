"""Colleague suggestions read other doctors' days as seat counts (``repository.load_slot_seats``), once per batch,
and the days the shard holds from memory: both must say what the full day says."""

from datetime import date
from uuid import UUID, uuid4

import asyncpg

from allocator.adapters import repository
from allocator.adapters.postgres_store import PostgresStore
from allocator.app import build_policy
from allocator.domain.alternatives import seats_of_day
from allocator.service.processor import ShardProcessor
from allocator.settings import AllocatorSettings
from shared import db
from shared.clock import ManualClock
from shared.routing import shard_for
from tests.conftest import ZONE
from tests.support.api import ApiClient, book, call, create_doctor
from tests.support.commands import book_command, create_doctor_command
from tests.support.services import Running

TODAY = date(2026, 12, 1)


async def test_seat_counts_agree_with_the_loaded_day(
    api: ApiClient, allocator: Running, pg: asyncpg.Connection
) -> None:
    slots = [
        {"startTime": "09:00", "endTime": "10:00", "maxCapacity": 4, "reservedEmergencySlots": 1},
        {"startTime": "10:00", "endTime": "11:00", "maxCapacity": 3, "quotas": {"online": 1}},
    ]
    doctor = (await create_doctor(api, timeSlots=slots))["id"]
    other = (await create_doctor(api, name="Dr. Other"))["id"]
    sources = ["walkin", "online", "followup", "priority", "walkin", "online", "priority", "walkin", "followup"]
    tokens = [
        (await book(api, doctor, f"Patient {n}", source=source, timeSlot="09:00-10:00"))["token"]
        for n, source in enumerate(sources)
    ]
    await book(api, doctor, "Late online", source="online", timeSlot="10:00-11:00")
    await book(api, doctor, "Late walk-in", source="walkin", timeSlot="10:00-11:00")
    await call(
        api, "POST", "/api/tokens/emergency", 201, json={"doctorId": doctor, "patientName": "E", "patientAge": 70}
    )
    await call(api, "PUT", f"/api/tokens/{tokens[1]['id']}/cancel", 200, json={})
    await book(api, other, "Elsewhere")

    ids = [UUID(doctor), UUID(other)]
    counted = await repository.load_slot_seats(pg, ids, TODAY, ZONE)
    doctors = {d: await repository.load_doctor(pg, d) for d in ids}
    for doctor_id, found in doctors.items():
        assert found is not None
        loaded = await repository.load_day(pg, found, TODAY, ZONE)
        assert counted[doctor_id] == seats_of_day(loaded)
    first = counted[ids[0]][0]
    assert sum(first.seated.values()) == 4, "three regular seats (one freed and refilled) and the emergency"
    runs = [(source.value, count) for source, count in first.waiting]
    assert runs == [("priority", 1), ("followup", 1), ("online", 1), ("walkin", 2)], "queue order, runs of a source"


async def test_a_colleague_filled_earlier_in_the_same_batch_is_no_longer_suggested(
    allocator_settings: AllocatorSettings, clock: ManualClock
) -> None:
    shards = allocator_settings.shard_count
    asked = create_doctor_command(capacity=3)  # one seat reserved before the slot starts: two regular seats
    shard = shard_for(asked.payload.doctor_id, shards)
    colleague_id = next(d for d in iter(uuid4, None) if shard_for(d, shards) == shard)
    colleague = create_doctor_command(colleague_id, capacity=3)
    asked_id = asked.payload.doctor_id
    pool = await db.create_pool(allocator_settings.writer_dsn)
    try:
        policy = build_policy(allocator_settings)
        store = PostgresStore(pool, policy.zone)
        processor = ShardProcessor(store, store, shard, "test", policy, clock, shards)
        assert all(reply.ok for reply in await processor.process([asked, colleague]))
        replies = await processor.process(
            [
                book_command(asked_id, "A1"),
                book_command(asked_id, "A2"),
                book_command(asked_id, "A3"),  # waits; the colleague has seats
                book_command(colleague_id, "C1"),
                book_command(colleague_id, "C2"),  # the colleague is full now
                book_command(asked_id, "A4"),  # waits; nobody to suggest
            ]
        )
    finally:
        await pool.close()
    results = [reply.result or {} for reply in replies]
    assert [r["token"]["status"] for r in results] == ["confirmed"] * 2 + ["pending"] + ["confirmed"] * 2 + ["pending"]
    assert [d["doctorId"] for d in results[2]["suggestedDoctors"]] == [str(colleague_id)]
    assert results[5]["suggestedDoctors"] == []
