"""The outbox relay when the broker refuses one publish of a batch: what it confirmed before stays published, the
refused event and everything after it go out again, in order, on the next round.

The refusal comes from the real broker: the second event's routing key reaches no queue (the publish is
mandatory, so it is returned), or only a queue that is full and rejects publishes (the broker nacks it).
"""

import asyncio
from collections.abc import Awaitable, Callable
from uuid import UUID, uuid4

import aio_pika
import asyncpg
import pytest
from aio_pika.abc import AbstractChannel, AbstractExchange, AbstractQueue

from allocator.adapters.outbox_relay import BrokerLost, OutboxRelay
from shared.codec import decode_event, encode
from shared.contracts.events import Event
from shared.routing import shard_for
from shared.topology import Topology
from tests.support.notifier import token_event, token_view
from tests.support.services import eventually, start

REFUSED_KEY = "token.cancelled"  # the second event's type; the watcher takes only "token.confirmed" at first
Refuse = Callable[[AbstractChannel, AbstractExchange], Awaitable[Callable[[AbstractQueue], Awaitable[None]]]]


async def _unroutable(channel: AbstractChannel, events: AbstractExchange) -> Callable[[AbstractQueue], Awaitable[None]]:
    """No queue takes the key: the mandatory publish is returned. Undone by binding the watcher to it."""

    async def undo(watcher: AbstractQueue) -> None:
        await watcher.bind(events, REFUSED_KEY)

    return undo


async def _rejected(channel: AbstractChannel, events: AbstractExchange) -> Callable[[AbstractQueue], Awaitable[None]]:
    """The only queue for the key is full and rejects publishes: the broker nacks. Undone by the watcher's taking
    the key instead of that queue."""
    full = await channel.declare_queue(exclusive=True, arguments={"x-max-length": 0, "x-overflow": "reject-publish"})
    await full.bind(events, REFUSED_KEY)

    async def undo(watcher: AbstractQueue) -> None:
        await full.delete(if_unused=False, if_empty=False)
        await watcher.bind(events, REFUSED_KEY)

    return undo


async def _drain(queue: AbstractQueue) -> list[Event]:
    received = []
    while (message := await queue.get(no_ack=True, fail=False)) is not None:
        received.append(decode_event(message.body))
    return received


async def _published(pg: asyncpg.Connection) -> list[bool]:
    return [
        row["published"]
        for row in await pg.fetch("SELECT published_at IS NOT NULL AS published FROM outbox ORDER BY id")
    ]


@pytest.mark.parametrize(
    ("refuse", "refusal"),
    [pytest.param(_unroutable, "NO_ROUTE", id="returned"), pytest.param(_rejected, r"Basic\.Nack", id="nacked")],
)
async def test_a_refused_publish_leaves_it_and_the_rest_of_the_batch_for_the_next_round_in_order(
    pg: asyncpg.Connection,
    database: str,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    refuse: Refuse,
    refusal: str,
) -> None:
    channel = await amqp_connection.channel()
    events = await channel.declare_exchange(topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    watcher = await channel.declare_queue(exclusive=True)
    await watcher.bind(events, "token.confirmed")
    undo = await refuse(channel, events)
    token = token_view(uuid4())
    kinds = ("token.confirmed", REFUSED_KEY, "token.confirmed")
    batch = [token_event(kind, token, sequence) for sequence, kind in enumerate(kinds, 1)]
    await pg.executemany(
        "INSERT INTO outbox (event_id, routing_key, doctor_id, sequence, body) VALUES ($1, $2, $3, $4, $5)",
        [(e.event_id, e.type, e.doctor_id, e.sequence, encode(e)) for e in batch],
    )
    relay = OutboxRelay(database, topology, range(topology.shard_count))

    with pytest.raises(BrokerLost, match=f"publish failed.*{refusal}"):
        await asyncio.wait_for(relay.run(amqp_connection, asyncio.Event()), 10)
    assert await _published(pg) == [True, False, False]
    # The third was routed too, but after the refusal: it goes again (at-least-once), after the second.
    assert [e.event_id for e in await _drain(watcher)] == [batch[0].event_id, batch[2].event_id]

    await undo(watcher)
    running = start(lambda stop: relay.run(amqp_connection, stop))
    try:
        await eventually(lambda: pg.fetchval("SELECT bool_and(published_at IS NOT NULL) FROM outbox"))
    finally:
        await running.shutdown()
    assert [e.event_id for e in await _drain(watcher)] == [batch[1].event_id, batch[2].event_id]


async def test_an_event_refused_alone_is_left_for_the_next_round(
    pg: asyncpg.Connection, database: str, topology: Topology, amqp_connection: aio_pika.abc.AbstractConnection
) -> None:
    """One event to publish (a batch of one command, the usual case at low load): its refusal ends the run with
    nothing marked."""
    channel = await amqp_connection.channel()
    events = await channel.declare_exchange(topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    await _unroutable(channel, events)
    event = token_event(REFUSED_KEY, token_view(uuid4()), 1)
    await pg.execute(
        "INSERT INTO outbox (event_id, routing_key, doctor_id, sequence, body) VALUES ($1, $2, $3, $4, $5)",
        event.event_id, event.type, event.doctor_id, event.sequence, encode(event),
    )  # fmt: skip

    with pytest.raises(BrokerLost, match=r"publish failed.*NO_ROUTE"):
        await asyncio.wait_for(
            OutboxRelay(database, topology, range(topology.shard_count)).run(amqp_connection, asyncio.Event()), 10
        )
    assert await _published(pg) == [False]


def _doctor_of_shard(shard: int, shard_count: int) -> UUID:
    return next(d for d in iter(uuid4, None) if shard_for(d, shard_count) == shard)


async def test_a_sweep_publishes_only_the_shards_of_its_process_and_a_stop_drains_what_was_handed_over(
    pg: asyncpg.Connection, database: str, topology: Topology, amqp_connection: aio_pika.abc.AbstractConnection
) -> None:
    channel = await amqp_connection.channel()
    events = await channel.declare_exchange(topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    watcher = await channel.declare_queue(exclusive=True)
    await watcher.bind(events, "#")
    mine, other = (token_view(_doctor_of_shard(shard, topology.shard_count)) for shard in (0, 1))
    left = [token_event("token.confirmed", mine, 1), token_event("token.confirmed", other, 1)]
    handed = token_event("token.confirmed", mine, 2)
    insert = "INSERT INTO outbox (event_id, routing_key, doctor_id, sequence, body) VALUES ($1, $2, $3, $4, $5)"
    await pg.executemany(insert, [(e.event_id, e.type, e.doctor_id, e.sequence, encode(e)) for e in left])
    relay = OutboxRelay(database, topology, [0], mark_after_seconds=60)
    running = start(lambda stop: relay.run(amqp_connection, stop))
    try:
        await eventually(lambda: _is_published(pg, left[0]))
        # A batch commits after the sweep and hands its event over; the relay is stopped at once.
        await pg.execute(insert, handed.event_id, handed.type, handed.doctor_id, handed.sequence, encode(handed))
        relay.committed([handed])
    finally:
        await running.shutdown()

    received = [e.event_id for e in await _drain(watcher)]
    assert received[0] == left[0].event_id and left[1].event_id not in received, "only shard 0's leftovers"
    assert handed.event_id in received
    assert await _published(pg) == [True, False, True], "the stop marked what the broker had confirmed"


async def _is_published(pg: asyncpg.Connection, event: Event) -> bool:
    return bool(await pg.fetchval("SELECT published_at IS NOT NULL FROM outbox WHERE event_id = $1", event.event_id))
