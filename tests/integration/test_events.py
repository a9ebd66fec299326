"""Events: the outbox relay publishes in order (also what was left unsent), the notifier tells each patient once."""

import asyncio
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

import aio_pika
import asyncpg

from allocator.app import run_allocator
from allocator.settings import AllocatorSettings
from shared.amqp import persistent
from shared.clock import ManualClock
from shared.codec import decode_event, encode
from shared.contracts.events import TokenConfirmed, TokenPayload
from shared.contracts.views import TokenView
from shared.topology import Topology, declare
from tests.support.services import Running, eventually, start


def _confirmed_event(doctor_id: UUID, sequence: int, event_id: UUID | None = None) -> TokenConfirmed:
    token = TokenView(
        id=uuid4(),
        token_number=f"D1-20261201-T{sequence:03d}",
        short_number=f"T{sequence:03d}",
        patient_name="Patient",
        patient_age=30,
        doctor_id=doctor_id,
        slot_id=uuid4(),
        date=date(2026, 12, 1),
        time_slot="09:00-10:00",
        source="walkin",
        priority=5,
        status="confirmed",
        is_emergency=False,
        created_at=datetime.now(UTC),
    )
    return TokenConfirmed(
        event_id=event_id or uuid4(),
        occurred_at=datetime.now(UTC),
        doctor_id=doctor_id,
        sequence=sequence,
        payload=TokenPayload(token=token),
    )


async def test_relay_publishes_what_was_left_unsent_in_order_at_start_up(
    pg: asyncpg.Connection,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    allocator_settings: AllocatorSettings,
    clock: ManualClock,
) -> None:
    channel = await amqp_connection.channel()
    await declare(channel, topology)
    events = await channel.get_exchange(topology.events_exchange)
    watcher = await channel.declare_queue(exclusive=True)
    await watcher.bind(events, "#")
    # Outbox order (by id) is the only order these rows agree with: not their event ids, doctor ids or sequences,
    # rising or falling (event ids in the rank order 3 5 1 4 2, the later doctor first, sequences 7 1 8 2 3).
    second_doctor, first_doctor = sorted((uuid4(), uuid4()))
    ranked = sorted(uuid4() for _ in range(5))
    event_ids = [ranked[rank] for rank in (2, 4, 0, 3, 1)]
    doctors_and_sequences = [
        (first_doctor, 7),
        (second_doctor, 1),
        (first_doctor, 8),
        (second_doctor, 2),
        (second_doctor, 3),
    ]
    left_unsent = [
        _confirmed_event(doctor_id, sequence, event_id)
        for (doctor_id, sequence), event_id in zip(doctors_and_sequences, event_ids, strict=True)
    ]
    await pg.executemany(
        "INSERT INTO outbox (event_id, routing_key, doctor_id, sequence, body) VALUES ($1, $2, $3, $4, $5)",
        [(e.event_id, e.type, e.doctor_id, e.sequence, encode(e)) for e in left_unsent],
    )

    allocator = start(lambda stop: run_allocator(allocator_settings, stop, clock))
    try:
        received = []
        async with watcher.iterator() as messages:
            async for message in messages:
                received.append(decode_event(message.body))
                await message.ack()
                if len(received) == len(left_unsent):
                    break
        assert await eventually(lambda: pg.fetchval("SELECT bool_and(published_at IS NOT NULL) FROM outbox"))
    finally:
        await allocator.shutdown()
    assert [e.event_id for e in received] == [e.event_id for e in left_unsent]


async def test_the_notifier_records_one_message_per_event_and_recipient(
    pg: asyncpg.Connection, topology: Topology, amqp_connection: aio_pika.abc.AbstractConnection, notifier: Running
) -> None:
    channel = await amqp_connection.channel(publisher_confirms=True)
    await declare(channel, topology)
    events = await channel.get_exchange(topology.events_exchange)
    event = _confirmed_event(uuid4(), 1)
    for _ in range(3):  # at-least-once delivery: the same event may arrive again
        await events.publish(persistent(encode(event), message_id=str(event.event_id)), routing_key=event.type)
    follow_up = _confirmed_event(event.doctor_id, 2)
    await events.publish(persistent(encode(follow_up)), routing_key=follow_up.type)

    await eventually(
        lambda: pg.fetchval(
            "SELECT count(*) FROM notifications WHERE event_id = $1 AND status = 'delivered'", follow_up.event_id
        )
    )
    await asyncio.sleep(0.2)
    rows = await pg.fetch("SELECT event_id, status, attempts FROM notifications ORDER BY id")
    assert [(r["event_id"], r["status"], r["attempts"]) for r in rows] == [
        (event.event_id, "delivered", 1),
        (follow_up.event_id, "delivered", 1),
    ]
