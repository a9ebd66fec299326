"""Publishes committed events to ``opd.events`` with publisher confirms, in commit order.

Each allocator process publishes what its own shards commit, from memory, as soon as the commit is done: no
outbox read per batch. The broker's confirms are marked published by the next batch's commit (or by the relay,
when no batch comes within ``mark_after_seconds``). What a crash, a lost channel or a commit with a lost answer
left unpublished is swept from the outbox (its shards' rows, in outbox order) whenever the relay (re)starts, one of
its shards' leases changes hands or a commit's outcome is unknown, before anything committed later. A crash
between publish and mark republishes (at-least-once; consumers dedupe by ``eventId``).
"""

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass
from uuid import UUID

import asyncpg
import orjson
from aio_pika.abc import AbstractChannel, AbstractConnection
from aio_pika.exceptions import AMQPError
from pamqp.commands import Basic

from allocator.adapters import messaging_store as store
from shared import db
from shared.amqp import PUBLISH_ERRORS, Underlay, broker_failed, underlay_of
from shared.codec import CONTENT_TYPE, encode
from shared.contracts.events import AnyEvent
from shared.lifecycle import sleep_unless
from shared.routing import shard_for
from shared.topology import Topology

log = logging.getLogger(__name__)
DRAIN_SECONDS = 5.0
DRAIN_ERRORS: tuple[type[Exception], ...] = (TimeoutError, *PUBLISH_ERRORS)
Outgoing = tuple[UUID, str, bytes]  # event id, routing key, body


class BrokerLost(AMQPError):
    """The relay's channel is gone: end the run so the service reconnects (never mistaken for a DB error)."""


def _ensure_open(channel: AbstractChannel) -> None:
    if channel.is_closed:
        raise BrokerLost("outbox relay: channel closed")


@dataclass(frozen=True, slots=True)
class EventsExchange:
    """The events exchange, published to on the channel under aio-pika's, without message objects (D99)."""

    channel: Underlay
    name: str

    def publish(self, event_id: UUID, key: str, body: bytes) -> Awaitable[object]:
        """A persistent, mandatory publish; awaiting it awaits the broker's confirm (a refusal raises)."""
        properties = Basic.Properties(
            content_type=CONTENT_TYPE, delivery_mode=2, message_id=str(event_id), message_type=key
        )
        return self.channel.basic_publish(
            body,
            exchange=self.name,
            routing_key=key,
            properties=properties,
            mandatory=True,
            timeout=10,
            wait=False,  # the confirm is awaited: a socket drain per event would add nothing to it
        )


async def _publish_in_order(exchange: EventsExchange, outgoing: list[Outgoing]) -> list[UUID]:
    """Publish with the confirms awaited together, not one round trip each; the ids confirmed, in order.

    The publishes start in order and the channel writes them in that order (its lock is first come, first served),
    so events still leave in commit order. A refusal raises ``BrokerLost`` once the ids before it are counted.
    """
    publishes = [asyncio.ensure_future(exchange.publish(*event)) for event in outgoing]
    outcomes = await asyncio.gather(*publishes, return_exceptions=True)
    confirmed: list[UUID] = []
    for (event_id, _, _), outcome in zip(outgoing, outcomes, strict=True):
        if isinstance(outcome, Exception) and broker_failed(outcome, PUBLISH_ERRORS):
            raise _Refused(confirmed, outcome)
        if isinstance(outcome, BaseException):
            raise outcome
        confirmed.append(event_id)
    return confirmed


class _Refused(Exception):
    def __init__(self, confirmed: list[UUID], cause: BaseException) -> None:
        super().__init__(repr(cause))
        self.confirmed = confirmed
        self.cause = cause


class OutboxRelay:
    """The processors' ``EventOutlet``, and the task that publishes what they hand it."""

    def __init__(
        self,
        dsn: str,
        topology: Topology,
        shards: Iterable[int],
        batch_size: int = 500,
        mark_after_seconds: float = 0.5,
    ) -> None:
        """``shards``: the shards this process serves, whose leftovers its sweeps publish; ``mark_after_seconds``:
        how long confirmed events wait for a batch's commit to mark them published before the relay marks them
        itself (an idle shard)."""
        self.dsn = dsn
        self.topology = topology
        self.shards = frozenset(shards)
        self.batch_size = batch_size
        self.mark_after_seconds = mark_after_seconds
        self._work: deque[list[AnyEvent] | None] = deque()  # None: sweep the outbox before going on
        self._wake = asyncio.Event()
        self._confirmed: list[UUID] = []
        self._confirmed_since: float | None = None
        self._swept: set[UUID] = set()  # published by the last sweep: skipped if handed over again
        self._pg: asyncpg.Connection | None = None

    def committed(self, events: list[AnyEvent]) -> None:
        if events:
            self._work.append(events)
            self._wake.set()

    def sweep_first(self) -> None:
        # One waiting sweep covers what any number asked for; the first in the queue may be under way already.
        if len(self._work) < 2 or self._work[-1] is not None:
            self._work.append(None)
        self._wake.set()

    def take_confirmed(self) -> list[UUID]:
        taken, self._confirmed, self._confirmed_since = self._confirmed, [], None
        return taken

    def give_back(self, event_ids: list[UUID]) -> None:
        if event_ids:
            self._confirmed[:0] = event_ids
            self._confirmed_since = self._confirmed_since or time.monotonic()

    async def run(self, connection: AbstractConnection, stop: asyncio.Event) -> None:
        """Relay until ``stop``; broker failures end the run (the caller reconnects, and the next run sweeps)."""
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        exchange = EventsExchange(await underlay_of(channel), self.topology.events_exchange)
        self._work.clear()  # all of it is in the outbox: the sweep takes it, in order
        self._work.append(None)
        stopping = asyncio.create_task(self._wake_on(stop))
        try:
            while not stop.is_set():
                _ensure_open(channel)
                if not self._work:
                    await self._idle()
                elif not await self._next(exchange):
                    await sleep_unless(stop, 1.0)  # the database is away: nothing can commit meanwhile
            await self._drain(exchange)
        finally:
            stopping.cancel()
            await self._close_database()

    async def _wake_on(self, stop: asyncio.Event) -> None:
        """An idle relay waits for work only: the stop wakes it too."""
        await stop.wait()
        self._wake.set()

    async def _next(self, exchange: EventsExchange) -> bool:
        """Publish the next piece of work; False if it is a sweep and the database is away."""
        item = self._work[0]
        if item is None:
            if not await self._sweep(exchange):
                return False
        else:
            await self._publish(exchange, [e for e in item if e.event_id not in self._swept])
        self._work.popleft()
        return True

    async def _drain(self, exchange: EventsExchange) -> None:
        """On stop (after the shards' consumers have stopped): publish what was handed over, mark what was
        confirmed. What a failure leaves here waits in the outbox for the next start's sweep."""
        try:
            async with asyncio.timeout(DRAIN_SECONDS):
                while self._work and await self._next(exchange):
                    pass
                if self._confirmed:
                    await self._mark_confirmed()
        except DRAIN_ERRORS as exc:
            log.warning("outbox relay: stopped before it had published everything (%r)", exc)

    async def _publish(self, exchange: EventsExchange, events: list[AnyEvent]) -> None:
        try:
            confirmed = await _publish_in_order(exchange, [(e.event_id, e.type, encode(e)) for e in events])
        except _Refused as refused:
            self._add_confirmed(refused.confirmed)
            raise BrokerLost(f"outbox relay: publish failed: {refused.cause!r}") from refused.cause
        self._add_confirmed(confirmed)

    def _add_confirmed(self, event_ids: list[UUID]) -> None:
        if event_ids:
            self._confirmed.extend(event_ids)
            self._confirmed_since = self._confirmed_since or time.monotonic()

    async def _sweep(self, exchange: EventsExchange) -> bool:
        """Publish and mark what the outbox holds unpublished, oldest first; False if the database is away."""
        self._swept = set()
        try:
            pg = await self._database()
            marked = self.take_confirmed()  # published already: not to be swept again
            try:
                await store.mark_published(pg, marked)
            except BaseException:
                self.give_back(marked)
                raise
            after = 0
            while True:
                rows = await store.unpublished(pg, after, self.batch_size)
                ours = [r for r in rows if shard_for(r["doctor_id"], self.topology.shard_count) in self.shards]
                outgoing = [(r["event_id"], r["routing_key"], orjson.dumps(r["body"])) for r in ours]
                try:
                    confirmed = await _publish_in_order(exchange, outgoing)
                except _Refused as refused:
                    await store.mark_published(pg, refused.confirmed)
                    raise BrokerLost(f"outbox relay: publish failed: {refused.cause!r}") from refused.cause
                await store.mark_published(pg, confirmed)
                self._swept.update(confirmed)
                if len(rows) < self.batch_size:
                    return True
                after = rows[-1]["id"]
        except (*db.CONNECTION_ERRORS, asyncpg.PostgresError) as exc:
            log.warning("outbox relay: database unavailable for the sweep (%r)", exc)
            await self._close_database()
            return False

    async def _idle(self) -> None:
        """Wait for work; mark confirmed events published if no batch has taken them in time."""
        self._wake.clear()
        timeout = self.mark_after_seconds
        if self._confirmed_since is not None:
            waited = time.monotonic() - self._confirmed_since
            if waited >= self.mark_after_seconds:
                await self._mark_confirmed()
                return
            timeout -= waited
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._wake.wait()  # set by new work, a sweep asked for, or the stop

    async def _mark_confirmed(self) -> None:
        event_ids = self.take_confirmed()
        try:
            await store.mark_published(await self._database(), event_ids)
        except (*db.CONNECTION_ERRORS, asyncpg.PostgresError) as exc:
            self.give_back(event_ids)
            self._confirmed_since = time.monotonic()  # try again later, or let a batch take them
            log.warning("outbox relay: could not mark %d event(s) published (%r)", len(event_ids), exc)
            await self._close_database()

    async def _database(self) -> asyncpg.Connection:
        if self._pg is None or self._pg.is_closed():
            self._pg = await db.connect(self.dsn)
        return self._pg

    async def _close_database(self) -> None:
        if self._pg is not None:
            pg, self._pg = self._pg, None
            try:
                await pg.close(timeout=2)
            except (*db.CONNECTION_ERRORS, asyncpg.PostgresError, TimeoutError):
                pg.terminate()
