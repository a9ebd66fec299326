"""Publishes committed outbox rows to ``opd.events`` in commit order, with publisher confirms.

One relay is active across all allocator processes (a session advisory lock on a dedicated connection),
so events leave in outbox order. Rows are marked published only after the broker confirmed them;
a crash in between republishes them (at-least-once; consumers dedupe by ``eventId``).
"""

import asyncio
import logging

import asyncpg
import orjson
from aio_pika.abc import AbstractChannel, AbstractConnection, AbstractExchange
from aio_pika.exceptions import AMQPError

from allocator.adapters import messaging_store as store
from shared import db
from shared.amqp import PUBLISH_ERRORS, persistent
from shared.lifecycle import sleep_unless
from shared.topology import Topology

log = logging.getLogger(__name__)
RELAY_LOCK = 0x0_0D_70_0B_0C


class BrokerLost(AMQPError):
    """The relay's channel is gone: end the run so the service reconnects (never mistaken for a DB error)."""


def _ensure_open(channel: AbstractChannel) -> None:
    if channel.is_closed:
        raise BrokerLost("outbox relay: channel closed")


async def _publish_in_order(
    exchange: AbstractExchange, rows: list[asyncpg.Record]
) -> tuple[list[int], Exception | None]:
    """Publish the rows with their confirms awaited together, not one round trip each.

    The publishes start in row order and the channel writes them in that order (its lock is first come, first
    served), so events still leave in outbox order. Returns the ids confirmed up to the first failure, and it.
    """
    publishes = [
        asyncio.ensure_future(
            exchange.publish(
                persistent(orjson.dumps(row["body"]), message_id=str(row["event_id"]), type=row["routing_key"]),
                routing_key=row["routing_key"],
                mandatory=True,
                timeout=10,
            )
        )
        for row in rows
    ]
    outcomes = await asyncio.gather(*publishes, return_exceptions=True)
    confirmed: list[int] = []
    for row, outcome in zip(rows, outcomes, strict=True):
        if isinstance(outcome, PUBLISH_ERRORS):
            return confirmed, outcome
        if isinstance(outcome, BaseException):
            raise outcome
        confirmed.append(row["id"])
    return confirmed, None


class OutboxRelay:
    def __init__(
        self,
        dsn: str,
        topology: Topology,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
        linger_seconds: float = 0.0,
    ) -> None:
        """``linger_seconds``: once woken by a commit, wait this long so that the events of the batches committing
        meanwhile leave in the same round (fewer queries and transactions per event under moderate load)."""
        self.dsn = dsn
        self.topology = topology
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.linger_seconds = linger_seconds
        self.wake = asyncio.Event()

    def kick(self) -> None:
        """Something was committed: publish it now rather than at the next poll."""
        self.wake.set()

    async def run(self, connection: AbstractConnection, stop: asyncio.Event) -> None:
        """Relay while this process holds the relay lock; broker failures end the run (the caller reconnects)."""
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = await channel.get_exchange(self.topology.events_exchange, ensure=False)
        while not stop.is_set():
            _ensure_open(channel)
            try:
                pg = await db.connect(self.dsn)
            except db.CONNECTION_ERRORS as exc:
                log.warning("outbox relay: database unavailable (%r)", exc)
                await self._pause(stop)
                continue
            try:
                if await pg.fetchval("SELECT pg_try_advisory_lock($1)", RELAY_LOCK):
                    await self._relay(pg, channel, exchange, stop)
                else:
                    await self._pause(stop)
            except (*db.CONNECTION_ERRORS, asyncpg.PostgresError) as exc:
                _ensure_open(channel)
                log.warning("outbox relay: database connection lost (%r)", exc)
                await self._pause(stop)
            finally:
                await pg.close()

    async def _relay(
        self, pg: asyncpg.Connection, channel: AbstractChannel, exchange: AbstractExchange, stop: asyncio.Event
    ) -> None:
        while not stop.is_set():
            _ensure_open(channel)
            self.wake.clear()
            rows = await store.unpublished(pg, self.batch_size)
            confirmed, failure = await _publish_in_order(exchange, rows)
            if confirmed:
                await store.mark_published(pg, confirmed)
            if failure is not None:
                raise BrokerLost(f"outbox relay: publish failed: {failure!r}") from failure
            if len(rows) < self.batch_size:
                await self._pause(stop)

    async def _pause(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.ensure_future(self.wake.wait()), asyncio.ensure_future(stop.wait())]
        try:
            await asyncio.wait(waiters, timeout=self.poll_seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in waiters:
                waiter.cancel()
        if self.wake.is_set() and self.linger_seconds:
            await sleep_unless(stop, self.linger_seconds)
