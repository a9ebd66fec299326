"""Group commit in the notifier: the events the consumer has buffered are recorded in one transaction, the outcomes
of a claimed batch in another, and both give what recording one at a time gave.

A batch is made deterministic by holding the delivery log (``log_held``): the notifier's transaction for a first
event waits for the lock while the next messages arrive, and those are recorded together once it is released.
"""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from uuid import UUID

import aio_pika
import asyncpg
import pytest
from prometheus_client import REGISTRY

from notifier import repository
from notifier.channels import Channel, Delivery, DeliveryError
from notifier.channels.log import LogChannel
from notifier.messages import notifications_for
from notifier.settings import NotifierSettings
from notifier.worker import DeliveryWorker, RetryPolicy
from shared import db
from shared.contracts.events import Event
from shared.contracts.views import TokenView
from shared.topology import Topology
from tests.conftest import ZONE
from tests.support.notifier import (
    Publisher,
    add_doctor,
    fast,
    log_held,
    notifier_consuming,
    publisher,
    ready_messages,
    recording_waits,
    token_event,
    token_view,
)
from tests.support.proxy import TcpProxy
from tests.support.services import eventually

NINE = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)  # 09:00 in Kolkata
GARBAGE = b"{not json"


def tokens(doctor_id: UUID, count: int) -> list[TokenView]:
    return [
        token_view(doctor_id, token_number=f"D1-20261201-T{n:03d}", short_number=f"T{n:03d}")
        for n in range(1, count + 1)
    ]


def eta_updates(token: TokenView, minutes: Sequence[int], sequence: int = 2) -> list[Event]:
    return [
        token_event("token.eta_changed", token.model_copy(update={"estimated_time": NINE + timedelta(minutes=m)}), n)
        for n, m in enumerate(minutes, sequence)
    ]


async def send(publish: Publisher, messages: Sequence[Event | bytes]) -> None:
    for n, message in enumerate(messages):
        if isinstance(message, bytes):
            await publish.raw(message, "token.confirmed", f"garbage-{n}")
        else:
            await publish(message)


async def buffered_behind(
    pg: asyncpg.Connection,
    database: str,
    channel: aio_pika.abc.AbstractChannel,
    topology: Topology,
    publish: Publisher,
    first: Event,
    batch: Sequence[Event | bytes],
) -> None:
    """``first`` recorded alone, held until the notifier has received ``batch``, which is then its next batch."""
    async with log_held(database):
        await publish(first)
        await eventually(lambda: recording_waits(pg))
        await send(publish, batch)
        await eventually(lambda: none_ready(channel, topology))


async def none_ready(channel: aio_pika.abc.AbstractChannel, topology: Topology) -> bool:
    return await ready_messages(channel, topology.notifier_queue) == 0


def skipped() -> float:
    return REGISTRY.get_sample_value("opd_notifications_total", {"channel": "log", "outcome": "skipped"}) or 0.0


async def shape(pg: asyncpg.Connection, token_id: UUID) -> list[tuple[str, str, int | None]]:
    """A token's rows in order: event type, status, and which of them superseded it (its index)."""
    rows = await pg.fetch(
        "SELECT id, event_type, status, superseded_by FROM notifications WHERE token_id = $1 ORDER BY id", token_id
    )
    index = {row["id"]: n for n, row in enumerate(rows)}
    return [(r["event_type"], r["status"], index.get(r["superseded_by"])) for r in rows]


async def test_a_buffered_batch_is_recorded_in_one_transaction_and_an_undecodable_message_is_dead_lettered(
    pg: asyncpg.Connection,
    database: str,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    notifier_settings: NotifierSettings,
) -> None:
    doctor_id = await add_doctor(pg)
    first, *events = [token_event("token.confirmed", token) for token in tokens(doctor_id, 4)]
    channel = await amqp_connection.channel()
    async with publisher(amqp_connection, topology) as publish:
        async with notifier_consuming(fast(notifier_settings), channel, topology):
            await buffered_behind(pg, database, channel, topology, publish, first, [events[0], GARBAGE, *events[1:]])
            await eventually(lambda: pg.fetchval("SELECT count(*) = 4 FROM notifications WHERE status = 'delivered'"))
        assert await ready_messages(channel, topology.notifier_queue) == 0  # all acked: none came back

    rows = await pg.fetch("SELECT event_id, created_at FROM notifications ORDER BY id")
    assert [r["event_id"] for r in rows] == [e.event_id for e in (first, *events)]  # in delivery order
    first_at, *batch_at = (r["created_at"] for r in rows)
    assert len(set(batch_at)) == 1 and first_at not in batch_at  # one transaction for the batch
    parked = await (await channel.get_queue(topology.events_dlq)).get(timeout=5)
    assert parked.body == GARBAGE
    assert "malformed JSON" in str((parked.headers or {})["x-opd-error"])


@pytest.mark.parametrize("linger_ms", [0.0, 4000.0])
async def test_events_arriving_within_the_batch_linger_are_recorded_together(
    pg: asyncpg.Connection,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    notifier_settings: NotifierSettings,
    linger_ms: float,
) -> None:
    doctor_id = await add_doctor(pg)
    events = [token_event("token.confirmed", token) for token in tokens(doctor_id, 3)]
    channel = await amqp_connection.channel()
    settings = fast(notifier_settings, event_batch_linger_ms=linger_ms)
    async with publisher(amqp_connection, topology) as publish, notifier_consuming(settings, channel, topology):
        for event in events:
            await publish(event)
            await asyncio.sleep(0.5)  # long enough to record one event alone; well within the linger
        await eventually(lambda: pg.fetchval("SELECT count(*) = 3 FROM notifications"))

    transactions = await pg.fetchval("SELECT count(DISTINCT created_at) FROM notifications")
    assert transactions == (1 if linger_ms else 3)


async def test_eta_updates_of_one_token_in_one_batch_supersede_as_when_recorded_one_at_a_time(
    pg: asyncpg.Connection,
    database: str,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    notifier_settings: NotifierSettings,
) -> None:
    doctor_id = await add_doctor(pg)
    alone, batched, other = tokens(doctor_id, 3)
    for event in [token_event("token.confirmed", alone), *eta_updates(alone, (10, 20, 30))]:
        async with pg.transaction():  # what the consumer did before batches: a transaction per event
            for notification in notifications_for(event, ZONE):
                await repository.record(pg, notification, 60.0)
    updates = eta_updates(batched, (10, 20, 30))
    batch = [updates[0], updates[1], *eta_updates(other, (15,)), updates[2]]
    skipped_before = skipped()

    channel = await amqp_connection.channel()
    async with publisher(amqp_connection, topology) as publish:
        settings = fast(notifier_settings, eta_coalesce_seconds=60.0)
        async with notifier_consuming(settings, channel, topology):
            first = token_event("token.confirmed", batched)
            await buffered_behind(pg, database, channel, topology, publish, first, batch)
            await eventually(lambda: pg.fetchval("SELECT count(*) = 9 FROM notifications WHERE status <> 'pending'"))

    expected = [
        ("token.confirmed", "delivered", None),
        ("token.eta_changed", "superseded", 2),
        ("token.eta_changed", "superseded", 3),
        ("token.eta_changed", "delivered", None),
    ]
    assert await shape(pg, alone.id) == expected
    assert await shape(pg, batched.id) == expected
    assert await shape(pg, other.id) == [("token.eta_changed", "delivered", None)]
    assert skipped() - skipped_before == 2


async def test_a_database_outage_mid_batch_loses_nothing_and_records_nothing_twice(
    pg: asyncpg.Connection,
    database: str,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    notifier_settings: NotifierSettings,
) -> None:
    doctor_id = await add_doctor(pg)
    held_token, *booked = tokens(doctor_id, 4)
    async with pg.transaction():  # an ETA update not due yet: the batch's newer one supersedes it
        (earlier,) = notifications_for(eta_updates(held_token, (5,))[0], ZONE)
        old = (await repository.record(pg, earlier, 0.0)).notification_id
        await pg.execute("UPDATE notifications SET next_attempt_at = now() + interval '1 hour' WHERE id = $1", old)
    first, *confirmed = [token_event("token.confirmed", token) for token in booked]
    (update,) = eta_updates(held_token, (25,))
    batch = [confirmed[0], update, confirmed[1], confirmed[0]]  # the last: a redelivered copy

    target = urlsplit(notifier_settings.writer_dsn)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    proxied = target._replace(netloc=f"{target.username}@127.0.0.1:{proxy.port}").geturl()
    settings = fast(notifier_settings, writer_database_url=proxied, retry_initial_seconds=0.05, retry_max_seconds=0.2)
    channel = await amqp_connection.channel()
    try:
        async with publisher(amqp_connection, topology) as publish, notifier_consuming(settings, channel, topology):
            row_lock = await db.connect(database)
            async with row_lock.transaction():
                await row_lock.execute("SELECT 1 FROM notifications WHERE id = $1 FOR UPDATE", old)
                await buffered_behind(pg, database, channel, topology, publish, first, batch)
                superseding = "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE "
                await eventually(lambda: pg.fetchval(superseding + "'%UPDATE notifications%superseded%'"))
                delivered = "SELECT status = 'delivered' FROM notifications WHERE event_id = $1"
                await eventually(lambda: pg.fetchval(delivered, first.event_id))  # the worker is idle
                await proxy.cut()  # mid-batch: two events inserted, the third waiting for the row
            await row_lock.close()
            recorded = await pg.fetch("SELECT event_id FROM notifications WHERE id <> $1", old)
            assert [r["event_id"] for r in recorded] == [first.event_id]  # the batch was rolled back

            await proxy.restore()
            await eventually(lambda: pg.fetchval("SELECT count(*) = 4 FROM notifications WHERE status = 'delivered'"))
        assert await ready_messages(channel, topology.notifier_queue) == 0
    finally:
        await proxy.cut()

    rows = await pg.fetch("SELECT event_id, status, attempts, superseded_by FROM notifications ORDER BY id")
    assert [(r["event_id"], r["status"], r["attempts"]) for r in rows] == [
        (earlier.event_id, "superseded", 0),
        (first.event_id, "delivered", 1),
        (confirmed[0].event_id, "delivered", 1),
        (update.event_id, "delivered", 1),
        (confirmed[1].event_id, "delivered", 1),
    ]
    assert rows[0]["superseded_by"] == await pg.fetchval(
        "SELECT id FROM notifications WHERE event_id = $1", update.event_id
    )
    assert await pg.fetchval("SELECT count(*) FROM delivery_attempts") == 4


async def test_an_event_that_breaks_its_batch_is_dead_lettered_and_the_others_are_recorded(
    pg: asyncpg.Connection,
    database: str,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    notifier_settings: NotifierSettings,
) -> None:
    doctor_id = await add_doctor(pg)
    booked = tokens(doctor_id, 4)
    first, good, poison, later = [token_event("token.confirmed", token) for token in booked]
    # A refusal that retrying cannot cure, for one event only.
    await pg.execute(
        f"ALTER TABLE notifications ADD CONSTRAINT poison CHECK (token_number <> '{booked[2].token_number}')"
    )
    channel = await amqp_connection.channel()
    async with publisher(amqp_connection, topology) as publish:
        async with notifier_consuming(fast(notifier_settings), channel, topology):
            await buffered_behind(pg, database, channel, topology, publish, first, [good, poison, later])
            await eventually(lambda: pg.fetchval("SELECT count(*) = 3 FROM notifications WHERE status = 'delivered'"))
        assert await ready_messages(channel, topology.notifier_queue) == 0

    recorded = await pg.fetch("SELECT event_id FROM notifications ORDER BY id")
    assert [r["event_id"] for r in recorded] == [first.event_id, good.event_id, later.event_id]
    parked = await (await channel.get_queue(topology.events_dlq)).get(timeout=5)
    assert parked.message_id == str(poison.event_id)
    assert "recording failed: CheckViolationError" in str((parked.headers or {})["x-opd-error"])


class Scripted:
    """A channel that refuses every delivery with the given error."""

    def __init__(self, name: str, error: DeliveryError) -> None:
        self.name = name
        self.error = error

    async def deliver(self, delivery: Delivery) -> None:
        raise self.error


async def test_the_worker_records_a_batch_of_outcomes_in_one_transaction(pg: asyncpg.Connection, database: str) -> None:
    doctor_id = await add_doctor(pg)
    rows: dict[str, int] = {}
    plan = {  # name: channel, attempts before the claim, claimed (by this worker, when it stopped)
        "delivered": ("log", 0, False),
        "retry": ("flaky", 0, False),
        "refused": ("refusing", 0, False),
        "exhausted": ("flaky", 2, False),
        "interrupted": ("log", 1, True),
    }
    for name, (channel, attempts, claimed) in plan.items():
        (notification,) = notifications_for(token_event("token.confirmed", token_view(doctor_id)), ZONE)
        async with pg.transaction():
            notification_id = (await repository.record(pg, notification, 0.0)).notification_id
            assert notification_id is not None
            await pg.execute(
                "UPDATE notifications SET channel = $2, attempts = $3, claimed_by = $4, claimed_until = "
                "CASE WHEN $4::text IS NULL THEN NULL ELSE now() + interval '1 minute' END WHERE id = $1",
                notification_id,
                channel,
                attempts,
                "test-worker" if claimed else None,
            )
        rows[name] = notification_id
    channels: dict[str, Channel] = {
        "log": LogChannel(),
        "flaky": Scripted("flaky", DeliveryError("HTTP 503: busy", summary="HTTP 503")),
        "refusing": Scripted("refusing", DeliveryError("HTTP 400: no such number", summary="HTTP 400", permanent=True)),
    }
    pool = await db.create_pool(database, max_size=2)
    worker = DeliveryWorker(pool, channels, RetryPolicy(3, 60.0, 60.0), "test-worker", poll_seconds=0.05)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    try:
        await eventually(lambda: pg.fetchval("SELECT bool_and(claimed_until IS NULL) FROM notifications"))
    finally:
        stop.set()
        await running
        await pool.close()

    states = {
        r["id"]: r
        for r in await pg.fetch(
            "SELECT id, status, attempts, last_error, next_attempt_at > now() AS later, updated_at FROM notifications"
        )
    }
    assert {name: (states[i]["status"], states[i]["last_error"]) for name, i in rows.items()} == {
        "delivered": ("delivered", None),
        "retry": ("pending", "HTTP 503: busy"),
        "refused": ("dead", "HTTP 400: no such number"),
        "exhausted": ("dead", "HTTP 503: busy"),
        "interrupted": ("delivered", None),
    }
    assert states[rows["retry"]]["later"]  # due again after its backoff
    assert len({state["updated_at"] for state in states.values()}) == 1  # one transaction
    attempts = await pg.fetch("SELECT notification_id, attempt, outcome, error FROM delivery_attempts ORDER BY id")
    by_row = {
        name: [(a["attempt"], a["outcome"], a["error"]) for a in attempts if a["notification_id"] == i]
        for name, i in rows.items()
    }
    assert by_row == {
        "delivered": [(1, "delivered", None)],
        "retry": [(1, "failed", "HTTP 503: busy")],
        "refused": [(1, "failed", "HTTP 400: no such number")],
        "exhausted": [(3, "failed", "HTTP 503: busy")],
        "interrupted": [(1, "interrupted", repository.INTERRUPTED), (2, "delivered", None)],
    }


async def test_the_worker_lingers_after_a_wake_so_notifications_recorded_meanwhile_go_out_together(
    pg: asyncpg.Connection,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    notifier_settings: NotifierSettings,
) -> None:
    doctor_id = await add_doctor(pg)
    events = [token_event("token.confirmed", token) for token in tokens(doctor_id, 3)]
    channel = await amqp_connection.channel()
    settings = fast(notifier_settings, delivery_linger_ms=1000, delivery_poll_seconds=10)
    async with publisher(amqp_connection, topology) as publish, notifier_consuming(settings, channel, topology):
        for event in events:  # recorded one after the other: each wakes the worker
            await publish(event)
            await asyncio.sleep(0.05)
        await eventually(lambda: pg.fetchval("SELECT count(*) = 3 FROM notifications WHERE status = 'delivered'"))

    assert await pg.fetchval("SELECT count(DISTINCT delivered_at) FROM notifications") == 1, "one claim, one outcome"
