"""The gateway's live feed: one broker consumer per process, fanned out in memory to SSE subscribers.

The consumer binds its own exclusive, auto-delete queue to the events exchange (it reads, never writes) and
reconnects after a broker loss. Each subscriber has a bounded buffer: one that falls behind is dropped
(its client reconnects and reloads), so a slow client never holds up the others.
"""

import asyncio
import collections
import contextlib
import contextvars
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import aio_pika

from gateway.public import public_event
from shared import amqp
from shared.codec import DecodeError, decode_event
from shared.topology import Topology, declare

log = logging.getLogger(__name__)
RECONNECT_SECONDS = 1.0
RESYNC = "resync"  # sent after a broker reconnect: events may have been missed, reload the state


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One SSE frame to send: its id, event name and JSON data."""

    id: str
    event: str
    data: dict[str, Any]


class SubscriptionEnded(Exception):
    """The subscriber fell too far behind, or the gateway is shutting down."""


class Subscription:
    """What one SSE client wants (doctors, optionally event types) and its bounded buffer."""

    def __init__(self, doctor_ids: frozenset[UUID], types: frozenset[str] | None, limit: int) -> None:
        self.doctor_ids = doctor_ids
        self.types = types
        self.limit = limit
        self.ended: str | None = None
        self._items: collections.deque[FeedItem] = collections.deque()
        self._ready = asyncio.Event()

    def wants(self, doctor_id: UUID, event_type: str) -> bool:
        return doctor_id in self.doctor_ids and (self.types is None or event_type in self.types)

    def offer(self, item: FeedItem) -> bool:
        """Buffer an item without waiting; False (and the subscription ends) when the buffer is full."""
        if self.ended is not None:
            return False
        if len(self._items) >= self.limit:
            self.end("too slow")
            return False
        self._items.append(item)
        self._ready.set()
        return True

    def end(self, reason: str) -> None:
        if self.ended is None:
            self.ended = reason
        self._ready.set()

    async def next(self, timeout: float) -> FeedItem | None:
        """The next item, or None after ``timeout`` without one (time for a heartbeat)."""
        if not self._items and self.ended is None:
            self._ready.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ready.wait(), timeout)
        if self.ended is not None:
            raise SubscriptionEnded(self.ended)
        return self._items.popleft() if self._items else None


class LiveFeed:
    """Consumes ``<prefix>.events`` once and hands each event's public projection to matching subscribers."""

    def __init__(self, url: str, topology: Topology, buffer_size: int = 256) -> None:
        self.url = url
        self.topology = topology
        self.buffer_size = buffer_size
        self._subscribers: set[Subscription] = set()
        self._bound = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)

    def start(self) -> None:
        """Start the consumer if it is not running (the first subscriber calls this)."""
        if (self._task is None or self._task.done()) and not self._closed:
            # A context of its own: the consumer outlives the request that started it (and its request id).
            self._task = asyncio.create_task(self._run(), name="live-feed", context=contextvars.Context())

    async def wait_bound(self, timeout: float) -> bool:
        """Whether the feed's queue is bound (events from now on are seen), waiting up to ``timeout``."""
        self.start()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._bound.wait(), timeout)
        return self._bound.is_set()

    @contextlib.asynccontextmanager
    async def subscribe(
        self, doctor_ids: frozenset[UUID], types: frozenset[str] | None = None
    ) -> AsyncIterator[Subscription]:
        subscription = Subscription(doctor_ids, types, self.buffer_size)
        if self._closed:
            subscription.end("shutting down")
        self._subscribers.add(subscription)
        try:
            yield subscription
        finally:
            self._subscribers.discard(subscription)

    def end_subscriptions(self, reason: str = "shutting down") -> None:
        """Finish every stream (before the server waits for its handlers)."""
        self._closed = True
        for subscription in list(self._subscribers):
            subscription.end(reason)

    async def close(self) -> None:
        self.end_subscriptions()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    def publish(self, doctor_id: UUID, event_type: str, item: FeedItem) -> None:
        """Fan one item out to the subscribers that want it; never waits."""
        for subscription in list(self._subscribers):
            if subscription.wants(doctor_id, event_type) and not subscription.offer(item):
                self._subscribers.discard(subscription)
                log.info("live feed subscriber dropped: %s", subscription.ended)

    def _resync(self) -> None:
        for subscription in list(self._subscribers):
            data = {"doctorIds": sorted(str(d) for d in subscription.doctor_ids)}
            if not subscription.offer(FeedItem(id="", event=RESYNC, data=data)):
                self._subscribers.discard(subscription)

    async def _run(self) -> None:
        connected_before = False
        while True:
            try:
                connection = await amqp.connect(self.url, "gateway-live-feed")
            except amqp.AMQP_ERRORS as exc:
                log.warning("live feed: broker unavailable (%r); retrying", exc)
                await asyncio.sleep(RECONNECT_SECONDS)
                continue
            try:
                async with connection:
                    channel = await connection.channel()
                    exchange = (await declare(channel, self.topology)).events
                    queue = await channel.declare_queue(exclusive=True, auto_delete=True)
                    await queue.bind(exchange, "#")
                    self._bound.set()
                    if connected_before:
                        self._resync()
                    connected_before = True
                    async with queue.iterator(no_ack=True) as messages:
                        async for message in messages:
                            self._deliver(message)
            except amqp.AMQP_ERRORS as exc:
                log.warning("live feed: broker connection lost (%r); reconnecting", exc)
            except Exception:  # best effort: the feed must outlive any one connection's surprise
                log.exception("live feed: consumer failed; reconnecting")
            self._bound.clear()
            await asyncio.sleep(RECONNECT_SECONDS)

    def _deliver(self, message: aio_pika.abc.AbstractIncomingMessage) -> None:
        try:
            event = decode_event(message.body)
        except DecodeError as exc:
            log.warning("live feed: undecodable event %s skipped: %s", message.message_id, exc)
            return
        item = FeedItem(id=str(event.event_id), event=event.type, data=public_event(event))
        self.publish(event.doctor_id, event.type, item)
