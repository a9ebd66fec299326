"""No command lost, none applied twice: redelivery, crash between commit and ack, fencing."""

import asyncio
from collections.abc import AsyncIterator
from uuid import uuid4

import aio_pika
import asyncpg
import pytest

from allocator.adapters import messaging_store
from allocator.adapters.postgres_store import PostgresStore
from allocator.app import build_policy, open_pool, run_allocator
from allocator.service.ports import Fenced
from allocator.service.processor import ShardProcessor
from allocator.settings import AllocatorSettings
from shared import db
from shared.amqp import persistent
from shared.authority import parse_broker_users, principal_of
from shared.clock import ManualClock
from shared.codec import decode_command, decode_reply, encode
from shared.command_bus import CommandBus
from shared.contracts.replies import Reply
from shared.routing import shard_for
from shared.topology import REPLY_TO, Topology, declare
from tests.conftest import AMQP_URL, MORNING
from tests.support.api import ApiClient, create_doctor
from tests.support.commands import book_command, create_doctor_command
from tests.support.services import Running, eventually


@pytest.fixture
async def bus(topology: Topology) -> AsyncIterator[CommandBus]:
    command_bus = CommandBus(AMQP_URL, topology, "test")
    yield command_bus
    await command_bus.close()


async def test_same_command_twice_books_once_with_identical_replies(
    bus: CommandBus, allocator: Running, pg: asyncpg.Connection
) -> None:
    create = create_doctor_command()
    created = await bus.request(create, 5)
    assert created is not None and created.ok
    command = book_command(create.payload.doctor_id, "Twice")

    first = await bus.request(command, 5)
    second = await bus.request(command, 5)

    assert first is not None and second is not None
    assert first.ok and first == second
    assert await pg.fetchval("SELECT count(*) FROM tokens WHERE patient_name = 'Twice'") == 1
    assert await pg.fetchval("SELECT count(*) FROM inbox WHERE command_id = $1", command.command_id) == 1


async def test_idempotency_key_replays_the_first_answer_and_refuses_another_body(
    api: ApiClient, allocator: Running, pg: asyncpg.Connection
) -> None:
    doctor = await create_doctor(api)
    body = {"doctorId": doctor["id"], "patientName": "Keyed", "patientAge": 50}
    headers = {"Idempotency-Key": "desk-7-0001"}

    first = await api.post("/api/tokens", json=body, headers=headers)
    replay = await api.post("/api/tokens", json=body, headers=headers)
    other = await api.post("/api/tokens", json={**body, "patientAge": 51}, headers=headers)

    assert first.status == replay.status == 201
    assert await first.json() == await replay.json()
    assert other.status == 422
    assert (await other.json())["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await pg.fetchval("SELECT count(*) FROM tokens WHERE patient_name = 'Keyed'") == 1


async def test_allocator_dying_after_commit_before_ack_loses_and_doubles_nothing(
    bus: CommandBus,
    topology: Topology,
    allocator_settings: AllocatorSettings,
    clock: ManualClock,
    pg: asyncpg.Connection,
) -> None:
    doctor = create_doctor_command()
    doctor_id = doctor.payload.doctor_id
    shard = shard_for(doctor_id, topology.shard_count)
    command = book_command(doctor_id, "Crash")
    await bus.publish(doctor)
    _, waiting = await bus.publish(command)

    # A first allocator takes both messages, commits them, and dies before acking or replying.
    pool = await db.create_pool(allocator_settings.database_url)
    doomed = await aio_pika.connect(AMQP_URL)
    try:
        channel = await doomed.channel()
        queue = await channel.get_queue(topology.shard_queue(shard))
        delivered: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
        await queue.consume(delivered.put)
        messages = [await asyncio.wait_for(delivered.get(), 5) for _ in range(2)]
        policy = build_policy(allocator_settings)
        store = PostgresStore(pool, policy.zone)
        processor = ShardProcessor(store, store, shard, "doomed", policy, clock, allocator_settings.shard_count)
        commands = [decode_command(m.body) for m in messages]
        users = parse_broker_users(allocator_settings.broker_users)  # as the consumer would see the senders
        senders = [principal_of(m.user_id, c, users) for m, c in zip(messages, commands, strict=True)]
        committed = await processor.process(commands, senders)
        assert [reply.ok for reply in committed] == [True, True]
    finally:
        await doomed.close()  # the connection dies: both messages go back to the queue unacked
        await pool.close()

    # A new allocator gets the redelivered messages: stored replies, no new state.
    stop = asyncio.Event()
    restarted = asyncio.create_task(run_allocator(allocator_settings, stop, clock))
    try:
        reply = await asyncio.wait_for(waiting, 10)
    finally:
        stop.set()
        await restarted
    assert _stored_part(reply) == _stored_part(committed[1])
    assert await pg.fetchval("SELECT count(*) FROM tokens WHERE patient_name = 'Crash'") == 1
    assert await pg.fetchval("SELECT count(*) FROM doctors") == 1
    assert await pg.fetchval("SELECT count(*) FROM outbox WHERE routing_key = 'token.confirmed'") == 1


async def test_answered_commands_are_acked_so_a_stopped_allocator_gives_nothing_back(
    bus: CommandBus, topology: Topology, allocator: Running, amqp_connection: aio_pika.abc.AbstractConnection
) -> None:
    doctor = create_doctor_command()
    created = await bus.request(doctor, 5)
    assert created is not None and created.ok
    published = [await bus.publish(book_command(doctor.payload.doctor_id, f"P{n}")) for n in range(12)]
    replies = [await asyncio.wait_for(waiting, 10) for _, waiting in published]  # batches of several, acked once
    assert all(reply.ok for reply in replies)

    await allocator.shutdown()  # unacked deliveries would go back to the queue now

    channel = await amqp_connection.channel()
    for shard in range(topology.shard_count):
        declared = await channel.declare_queue(topology.shard_queue(shard), passive=True)
        assert declared.declaration_result.message_count == 0


async def test_a_stale_allocator_cannot_commit_after_another_took_the_lease(
    allocator_settings: AllocatorSettings, clock: ManualClock, pg: asyncpg.Connection
) -> None:
    doctor = create_doctor_command()
    shard = shard_for(doctor.payload.doctor_id, allocator_settings.shard_count)
    policy = build_policy(allocator_settings)
    pool = await db.create_pool(allocator_settings.database_url)
    store = PostgresStore(pool, policy.zone)
    try:
        stale = ShardProcessor(store, store, shard, "stale", policy, clock, allocator_settings.shard_count)
        fresh = ShardProcessor(store, store, shard, "fresh", policy, clock, allocator_settings.shard_count)
        assert (await stale.process([doctor]))[0].ok
        assert (await fresh.process([book_command(doctor.payload.doctor_id, "Fresh")]))[0].ok

        with pytest.raises(Fenced):
            await stale.process([book_command(doctor.payload.doctor_id, "Stale")])
    finally:
        await pool.close()
    assert await pg.fetchval("SELECT count(*) FROM tokens WHERE patient_name = 'Stale'") == 0
    assert await pg.fetchval("SELECT epoch FROM shard_leases WHERE shard = $1", shard) == 2
    assert await pg.fetchval("SELECT count(*) FROM inbox") == 2


async def test_the_state_kept_between_batches_is_reloaded_after_the_lease_changed_hands(
    allocator_settings: AllocatorSettings, clock: ManualClock, pg: asyncpg.Connection
) -> None:
    doctor = create_doctor_command(capacity=3)  # one seat reserved before the slot starts: two regular seats
    doctor_id = doctor.payload.doctor_id
    shard = shard_for(doctor_id, allocator_settings.shard_count)
    policy = build_policy(allocator_settings)
    pool = await db.create_pool(allocator_settings.writer_dsn)
    store = PostgresStore(pool, policy.zone)
    try:
        first = ShardProcessor(store, store, shard, "first", policy, clock, allocator_settings.shard_count)
        second = ShardProcessor(store, store, shard, "second", policy, clock, allocator_settings.shard_count)
        assert (await first.process([doctor, book_command(doctor_id, "One")]))[1].ok
        assert (doctor_id, MORNING.date()) in first.days  # kept for the next batch
        assert (await second.process([book_command(doctor_id, "Two")]))[0].ok  # takes the lease over
        with pytest.raises(Fenced):
            await first.process([book_command(doctor_id, "Three")])
        assert first.days == {}
        third = (await first.process([book_command(doctor_id, "Three")]))[0]  # the lease back, the day reloaded
    finally:
        await pool.close()
    assert third.ok and third.result is not None
    assert third.result["token"]["status"] == "pending"  # One and Two hold both regular seats
    statuses = await pg.fetch("SELECT patient_name, status FROM tokens ORDER BY arrival")
    assert [tuple(row) for row in statuses] == [("One", "confirmed"), ("Two", "confirmed"), ("Three", "pending")]


async def test_poison_messages_are_dead_lettered_and_the_shard_keeps_serving(
    bus: CommandBus, topology: Topology, allocator: Running, amqp_connection: aio_pika.abc.AbstractConnection
) -> None:
    doctor = create_doctor_command()
    created = await bus.request(doctor, 5)
    assert created is not None and created.ok
    shard = shard_for(doctor.payload.doctor_id, topology.shard_count)
    channel = await amqp_connection.channel()
    await declare(channel, topology)
    exchange = await channel.get_exchange(topology.commands_exchange)
    replies = await channel.declare_queue(REPLY_TO, passive=True)
    answers: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
    await replies.consume(answers.put, no_ack=True)
    for body in (b"{not json", b'{"type": "Nonsense"}'):
        await exchange.publish(
            persistent(body, reply_to=REPLY_TO, correlation_id=str(uuid4())), routing_key=f"shard.{shard}"
        )

    after = await bus.request(book_command(doctor.payload.doctor_id, "After poison"), 5)
    assert after is not None and after.ok

    errors = [await asyncio.wait_for(answers.get(), 5) for _ in range(2)]
    assert sorted(decode_reply(e.body).error.code for e in errors) == ["INVALID_COMMAND", "UNKNOWN_COMMAND_TYPE"]  # type: ignore[union-attr]
    dlq = await channel.get_queue(topology.commands_dlq)
    parked = [await dlq.get(timeout=5) for _ in range(2)]
    assert sorted(m.body for m in parked) == sorted([b"{not json", b'{"type": "Nonsense"}'])
    assert all("x-opd-error" in (m.headers or {}) for m in parked)


async def test_concurrent_retries_with_one_idempotency_key_all_get_the_same_answer(
    api: ApiClient, allocator: Running, pg: asyncpg.Connection
) -> None:
    doctor = await create_doctor(api)
    body = {"doctorId": doctor["id"], "patientName": "Impatient", "patientAge": 33}
    headers = {"Idempotency-Key": "kiosk-2-0042"}

    responses = await asyncio.gather(*(api.post("/api/tokens", json=body, headers=headers) for _ in range(4)))

    assert [r.status for r in responses] == [201] * 4
    bodies = [await r.json() for r in responses]
    assert all(b == bodies[0] for b in bodies)
    assert await pg.fetchval("SELECT count(*) FROM tokens WHERE patient_name = 'Impatient'") == 1


async def test_creating_a_doctor_with_an_idempotency_key_is_safe_to_retry(
    api: ApiClient, allocator: Running, pg: asyncpg.Connection
) -> None:
    body = {
        "name": "Dr. Retry",
        "specialization": "ENT",
        "timeSlots": [{"startTime": "09:00", "endTime": "10:00", "maxCapacity": 5}],
    }
    headers = {"Idempotency-Key": "admin-create-dr-retry"}
    first = await api.post("/api/doctors", json=body, headers=headers)
    again = await api.post("/api/doctors", json=body, headers=headers)
    assert first.status == again.status == 201
    assert (await first.json())["doctor"]["id"] == (await again.json())["doctor"]["id"]
    assert await pg.fetchval("SELECT count(*) FROM doctors") == 1


async def test_a_misrouted_command_is_refused_and_its_outcome_recorded(
    topology: Topology, allocator: Running, amqp_connection: aio_pika.abc.AbstractConnection, pg: asyncpg.Connection
) -> None:
    command = create_doctor_command()
    wrong = (shard_for(command.payload.doctor_id, topology.shard_count) + 1) % topology.shard_count
    channel = await amqp_connection.channel()
    await declare(channel, topology)
    replies = await channel.declare_queue(REPLY_TO, passive=True)
    answers: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
    await replies.consume(answers.put, no_ack=True)
    exchange = await channel.get_exchange(topology.commands_exchange)
    await exchange.publish(
        persistent(encode(command), reply_to=REPLY_TO, correlation_id="misrouted", user_id="guest"),
        routing_key=f"shard.{wrong}",
    )

    answer = decode_reply((await asyncio.wait_for(answers.get(), 5)).body)
    assert not answer.ok and answer.error is not None and answer.error.code == "INVALID_COMMAND"
    assert "belongs to shard" in answer.error.message
    stored = await eventually(
        lambda: pg.fetchrow("SELECT ok, reply FROM inbox WHERE command_id = $1", command.command_id)
    )
    assert stored["ok"] is False
    assert await pg.fetchval("SELECT count(*) FROM doctors") == 0


async def test_a_holder_frozen_inside_its_transaction_is_cut_off_and_a_standby_takes_the_lease(
    allocator_settings: AllocatorSettings,
) -> None:
    """The lease row stays locked while the active allocator's batch transaction is open: frozen there (SIGSTOP,
    a hung process), it would stall the standby for as long. The database ends that session after the stall
    timeout, the lock goes with it, and the standby takes over."""
    settings = allocator_settings.model_copy(update={"stalled_transaction_seconds": 0.5})
    stop = asyncio.Event()
    pool = await open_pool(settings, stop)
    assert pool is not None
    try:
        frozen = await pool.acquire()
        epoch = await messaging_store.acquire_lease(frozen, 0, "frozen")
        transaction = frozen.transaction()
        await transaction.start()
        await messaging_store.check_lease(frozen, 0, epoch)  # the row is locked; then nothing more happens

        async with pool.acquire() as standby:
            taken = await asyncio.wait_for(messaging_store.acquire_lease(standby, 0, "standby"), timeout=30)

        assert taken == epoch + 1
        with pytest.raises(db.CONNECTION_ERRORS):
            await frozen.execute("SELECT 1")  # resumed, the frozen holder finds its session gone: no commit
        await pool.release(frozen)
    finally:
        await pool.close()


def _stored_part(reply: Reply) -> Reply:
    """A reply without the patient's cancel code and status link, which are added as a reply leaves, never stored."""
    return reply.model_copy(
        update={"result": {k: v for k, v in (reply.result or {}).items() if k not in ("cancelCode", "statusPage")}}
    )
