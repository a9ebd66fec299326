"""Consumes ``opd.events`` in order: records each event's notifications as pending, wakes the delivery
worker, then acks. Delivery itself (and its retries) never holds up the event queue."""

import asyncio
import logging
from collections.abc import Callable, Collection
from zoneinfo import ZoneInfo

import asyncpg
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage

from notifier import metrics, repository
from notifier.directory import doctor_info
from notifier.messages import notifications_for
from shared import db, log_context
from shared.amqp import AMQP_ERRORS, dead_letter
from shared.codec import DecodeError, decode_event
from shared.contracts.events import Event, TokenPayload
from shared.topology import DLQ_EVENTS_KEY, Topology

log = logging.getLogger(__name__)


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
    ) -> None:
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

    async def run(self, connection: AbstractConnection, stop: asyncio.Event) -> None:
        channel = await connection.channel(publisher_confirms=True)
        await channel.set_qos(prefetch_count=self.prefetch)
        queue = await channel.get_queue(self.topology.notifier_queue, ensure=False)
        buffer: asyncio.Queue[AbstractIncomingMessage] = asyncio.Queue()
        await queue.consume(buffer.put)
        try:
            while not stop.is_set():
                if channel.is_closed:
                    raise ConnectionError("notifier: channel closed")
                try:
                    message = await asyncio.wait_for(buffer.get(), timeout=0.25)
                except TimeoutError:
                    continue
                await self._handle(channel, message, stop)
        finally:
            if not channel.is_closed:
                await channel.close()

    async def _handle(self, channel: object, message: AbstractIncomingMessage, stop: asyncio.Event) -> None:
        try:
            event = decode_event(message.body)
        except DecodeError as exc:
            reason = f"{exc} {exc.errors}"
            log.warning("dead-lettering undecodable event %s: %s", message.message_id, reason)
            await dead_letter(
                channel,  # type: ignore[arg-type]
                self.topology.dead_letter_exchange,
                DLQ_EVENTS_KEY,
                message,
                reason,
                self.topology.notifier_queue,
            )
            return
        with log_context.bound(command_id=event.causation_id, correlation_id=event.correlation_id):
            await self._record_and_ack(message, event, stop)

    async def _record_and_ack(self, message: AbstractIncomingMessage, event: Event, stop: asyncio.Event) -> None:
        delay = self.retry_initial_seconds
        while True:
            try:
                superseded = await self._record(event)
                break
            except db.CONNECTION_ERRORS as exc:
                if stop.is_set():
                    return  # unacked: redelivered to the next notifier, deduplicated by the log
                log.warning("delivery log unavailable (%r); retrying in %.1fs", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max_seconds)
        for channel, count in superseded:
            metrics.NOTIFICATIONS.labels(channel=channel, outcome="skipped").inc(count)
        log.debug("event %s %s recorded", event.type, event.event_id)
        self.recorded()
        try:
            await message.ack()
        except AMQP_ERRORS as exc:
            log.warning("event ack lost with the channel (%r); it will be redelivered and deduplicated", exc)

    async def _record(self, event: Event) -> list[tuple[str, int]]:
        """Record the event's notifications in one transaction; returns (channel, count) of the ones superseded."""
        if not isinstance(event.payload, TokenPayload):
            return []
        superseded = []
        async with self.pool.acquire() as connection, connection.transaction():
            doctor = await doctor_info(connection, event.doctor_id)
            for notification in notifications_for(
                event, self.zone, doctor=doctor, default_language=self.default_language, channels=self.channels
            ):
                recorded = await repository.record(connection, notification, self.coalesce_seconds)
                if recorded.superseded:
                    superseded.append((notification.channel, recorded.superseded))
        return superseded
