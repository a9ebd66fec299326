"""The clock's heartbeat: a ``Tick`` on each served shard's queue every few seconds.

Ticks go through the queue like any command, so time-based decisions are taken by the shard's single active
writer, in sequence with everything else. Every allocator (active or standby) ticks; extra ticks are harmless
and cheap. No expiry: an expired message would be dead-lettered, and ticks only exist while an allocator runs.
"""

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

from aio_pika.abc import AbstractConnection

from shared.amqp import persistent
from shared.codec import encode
from shared.contracts.commands import Tick, TickPayload
from shared.lifecycle import sleep_unless
from shared.topology import Topology


async def run_ticker(
    connection: AbstractConnection,
    topology: Topology,
    shards: list[int],
    every_seconds: float,
    stop: asyncio.Event,
    user: str,
) -> None:
    """Publish a tick per shard every ``every_seconds``, as broker user ``user`` (the allocator's own login)."""
    channel = await connection.channel(publisher_confirms=True)
    exchange = await channel.get_exchange(topology.commands_exchange, ensure=False)
    while not stop.is_set():
        for shard in shards:
            tick = Tick(
                command_id=uuid4(),
                issued_at=datetime.now(UTC),
                source="allocator-clock",
                payload=TickPayload(shard=shard),
            )
            message = persistent(encode(tick), message_id=str(tick.command_id), type=tick.type, user_id=user)
            await exchange.publish(message, routing_key=topology.shard_routing_key(shard))
        await sleep_unless(stop, every_seconds)
