"""The allocator's Prometheus metrics (default registry) and the probes that sample its backlogs."""

import asyncio
from collections.abc import Sequence
from typing import Protocol

import asyncpg
from aio_pika.abc import AbstractConnection
from prometheus_client import Counter, Gauge, Histogram

from allocator.adapters import messaging_store as store
from shared.metrics import sample_every

COMMANDS = Counter(
    "opd_commands", "Commands answered, by type and outcome: ok, refused, dead_lettered", ["type", "outcome"]
)
COMMAND_SECONDS = Histogram(
    "opd_command_seconds", "From a command's receipt by the allocator until its reply is sent", ["type"]
)
BATCH_SIZE = Histogram(
    "opd_batch_size", "Messages per micro-batch", buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 5000)
)
QUEUE_DEPTH = Gauge(
    "opd_queue_depth", "Commands waiting for a shard: ready in its queue plus received here, not yet taken", ["shard"]
)
OUTBOX_PENDING = Gauge("opd_outbox_pending", "Committed events not yet published")
OUTBOX_LAG = Gauge("opd_outbox_lag_seconds", "Age of the oldest committed event not yet published; 0 when none")


class ShardQueue(Protocol):
    shard: int
    queue_name: str

    @property
    def buffered(self) -> int: ...


async def watch_outbox(pool: asyncpg.Pool, stop: asyncio.Event) -> None:
    """Sample the outbox backlog from the database, whether or not the broker (or this relay) is up."""

    async def outbox_backlog() -> None:
        async with pool.acquire() as connection:
            pending, lag = await store.backlog(connection)
        OUTBOX_PENDING.set(pending)
        OUTBOX_LAG.set(lag)

    await sample_every(outbox_backlog, stop)


async def watch_queues(connection: AbstractConnection, queues: Sequence[ShardQueue], stop: asyncio.Event) -> None:
    """Sample each served shard's depth with a passive declare (cheap: no message is touched)."""
    channel = await connection.channel()

    async def queue_depths() -> None:
        for queue in queues:
            declared = await channel.declare_queue(queue.queue_name, passive=True)
            ready = declared.declaration_result.message_count or 0
            QUEUE_DEPTH.labels(shard=str(queue.shard)).set(ready + queue.buffered)

    try:
        await sample_every(queue_depths, stop)
    finally:
        if not channel.is_closed:
            await channel.close()
