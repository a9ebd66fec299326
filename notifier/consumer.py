"""Consumes ``opd.events`` in order: records each event's notifications as pending, wakes the delivery
worker, then acks. Delivery itself (and its retries) never holds up the event queue."""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Collection
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
from aio_pika.abc import AbstractChannel, AbstractConnection

from notifier import metrics, repository
from notifier.directory import DoctorDirectory
from notifier.messages import DoctorInfo, notifications_for
from shared import db, log_context
from shared.acks import LingeringAcks
from shared.batch_commit import Backoff, BatchCommit
from shared.batching import next_batch
from shared.codec import DecodeError, decode_event
from shared.contracts.events import Event, TokenPayload
from shared.deliveries import Delivery, consume, dead_letter
from shared.status_links import StatusLinks
from shared.topology import DLQ_EVENTS_KEY, Topology

log = logging.getLogger(__name__)
Item = tuple[Delivery, Event]


class EventConsumer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        topology: Topology,
        zone: ZoneInfo,
        *,
        channels: Collection[str],
        default_language: str = "en",
        coalesce_seconds: float = 60.0,
        recorded: Callable[[], None] = lambda: None,
        prefetch: int = 32,
        retry_initial_seconds: float = 0.2,
        retry_max_seconds: float = 5.0,
        links: StatusLinks | None = None,
        ack_linger_seconds: float = 0.0,
        batch_linger_seconds: float = 0.0,
        directory: DoctorDirectory | None = None,
    ) -> None:
        """``ack_linger_seconds``: how long the ack of recorded events may wait, so that one ack settles several
        (0: each batch is acked as soon as it is recorded); ``batch_linger_seconds``: how long a batch waits for
        more events after its first (0: only those already received)."""
        self.pool = pool
        self.topology = topology
        self.zone = zone
        self.channels = channels
        self.default_language = default_language
        self.coalesce_seconds = coalesce_seconds
        self.recorded = recorded
        self.prefetch = prefetch
        self.retry_initial_seconds = retry_initial_seconds
        self.retry_max_seconds = retry_max_seconds
        self.links = links
        self.directory = directory or DoctorDirectory()
        self.batch_linger_seconds = batch_linger_seconds
        self._acks = LingeringAcks(ack_linger_seconds, prefetch // 2, "events")

    async def run(self, connection: AbstractConnection, stop: asyncio.Event) -> None:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=self.prefetch)
        buffer: asyncio.Queue[Delivery] = asyncio.Queue()
        await consume(channel, self.topology.notifier_queue, buffer.put_nowait)  # unbounded: the prefetch bounds it
        self._acks.forget()  # deliveries of an earlier channel are not this one's to ack
        acks = asyncio.create_task(self._acks.run())
        try:
            while not stop.is_set():
                if channel.is_closed:
                    raise ConnectionError("notifier: channel closed")
                batch = await next_batch(buffer, self.prefetch, self.batch_linger_seconds, stop)
                if batch:
                    await self._handle(channel, batch, stop)
        finally:
            acks.cancel()
            if not channel.is_closed:
                await self._acks.flush()
                await channel.close()

    async def _handle(self, channel: AbstractChannel, batch: list[Delivery], stop: asyncio.Event) -> None:
        """Dead-letter the undecodable messages, record the others in one transaction, then ack them with one ack."""
        items = [item for message in batch if (item := await self._decode(channel, message)) is not None]
        if items:
            await self._record_and_ack(channel, items, stop)

    async def _decode(self, channel: AbstractChannel, message: Delivery) -> Item | None:
        try:
            return message, decode_event(message.body)
        except DecodeError as exc:
            reason = f"{exc} {exc.errors}"
            log.warning("dead-lettering undecodable event %s: %s", message.message_id, reason)
            await self._dead_letter(channel, message, reason)
            return None

    async def _record_and_ack(self, channel: AbstractChannel, items: list[Item], stop: asyncio.Event) -> None:
        """Record the events in one transaction and ack them with one ack (``shared.batch_commit``): retried while
        the database is unavailable; any other failure splits the batch, and an event that fails on its own is
        dead-lettered with the reason."""
        commit: BatchCommit[Item, list[tuple[str, int]]] = BatchCommit(
            what="events",
            commit=lambda batch: self._record([event for _, event in batch]),
            committed=self._recorded,
            refuse=lambda item, exc: self._refuse(channel, item, exc),
            message_of=lambda item: item[0],
            acks=self._acks,
            transient=db.is_transient,
            backoff=Backoff(self.retry_initial_seconds, self.retry_max_seconds),
        )
        await commit(items, stop)

    async def _recorded(self, items: list[Item], superseded: list[tuple[str, int]]) -> None:
        for channel_name, count in superseded:
            metrics.NOTIFICATIONS.labels(channel=channel_name, outcome="skipped").inc(count)
        self.recorded()
        for _, event in items:
            with _about(event):
                log.debug("event %s %s recorded", event.type, event.event_id)

    async def _refuse(self, channel: AbstractChannel, item: Item, exc: Exception) -> None:
        message, event = item
        with _about(event):
            log.error("dead-lettering event %s %s: recording failed: %r", event.type, event.event_id, exc)
            await self._dead_letter(channel, message, f"recording failed: {exc!r}")

    async def _record(self, events: list[Event]) -> list[tuple[str, int]]:
        """Record the events' notifications in one transaction, in order; (channel, count) of the ones superseded.

        Events about doctors tell no patient: a batch of only those needs no database. The batch's notifications
        go in one statement (``repository.record_many``), or a few when a patient's messages follow each other in
        the batch; a batch that comes down to one statement runs it without ``BEGIN`` and ``COMMIT``.
        """
        token_events = [event for event in events if isinstance(event.payload, TokenPayload)]
        if not token_events:
            return []
        async with self.pool.acquire() as connection:
            doctors: dict[UUID, DoctorInfo | None] = {}
            for event in token_events:
                if event.doctor_id not in doctors:
                    doctors[event.doctor_id] = await self.directory.lookup(connection, event.doctor_id)
            notifications = [
                notification
                for event in token_events
                for notification in notifications_for(
                    event,
                    self.zone,
                    doctor=doctors[event.doctor_id],
                    default_language=self.default_language,
                    channels=self.channels,
                    links=self.links,
                )
            ]
            if repository.statements(notifications, self.coalesce_seconds) <= 1:
                recorded = await repository.record_many(connection, notifications, self.coalesce_seconds)
            else:
                async with connection.transaction():
                    recorded = await repository.record_many(connection, notifications, self.coalesce_seconds)
        return [(n.channel, r.superseded) for n, r in zip(notifications, recorded, strict=True) if r.superseded]

    async def _dead_letter(self, channel: AbstractChannel, message: Delivery, reason: str) -> None:
        await dead_letter(
            channel,
            self.topology.dead_letter_exchange,
            DLQ_EVENTS_KEY,
            message,
            reason,
            self.topology.notifier_queue,
        )


def _about(event: Event) -> contextlib.AbstractContextManager[None]:
    """Log lines written while handling the event carry its command and correlation ids."""
    return log_context.bound(command_id=event.causation_id, correlation_id=event.correlation_id)
