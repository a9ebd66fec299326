"""Consumes ``opd.events`` in order; records each notification once, delivers it, then acks the event."""

import asyncio
import logging
from typing import Protocol
from zoneinfo import ZoneInfo

import asyncpg
from aio_pika.abc import AbstractConnection, AbstractIncomingMessage

from notifier import repository
from notifier.messages import Notification, notifications_for
from shared import db
from shared.amqp import AMQP_ERRORS, dead_letter
from shared.codec import DecodeError, decode_event
from shared.topology import DLQ_EVENTS_KEY, Topology

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    async def deliver(self, notification: Notification) -> None: ...


class EventConsumer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        channels: dict[str, Channel],
        topology: Topology,
        zone: ZoneInfo,
        prefetch: int = 32,
        retry_initial_seconds: float = 0.2,
        retry_max_seconds: float = 5.0,
    ) -> None:
        self.pool = pool
        self.channels = channels
        self.topology = topology
        self.zone = zone
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
        delay = self.retry_initial_seconds
        for notification in notifications_for(event, self.zone):
            while True:
                try:
                    await self._deliver_once(notification)
                    break
                except db.CONNECTION_ERRORS as exc:
                    if stop.is_set():
                        return  # unacked: redelivered to the next notifier, deduped by the log
                    log.warning("delivery log unavailable (%r); retrying in %.1fs", exc, delay)
                    await asyncio.sleep(delay)
                    delay = min(delay * 2, self.retry_max_seconds)
        try:
            await message.ack()
        except AMQP_ERRORS as exc:
            log.warning("event ack lost with the channel (%r); it will be redelivered and deduplicated", exc)

    async def _deliver_once(self, notification: Notification) -> None:
        async with self.pool.acquire() as connection:
            notification_id = await repository.record(connection, notification)
            if notification_id is None:
                notification_id = await repository.pending_id(connection, notification)
            if notification_id is None:
                return  # delivered (or failed for good) before this redelivery
            try:
                await self.channels[notification.channel].deliver(notification)
            except Exception as exc:  # a channel's failure is recorded with its reason, never fatal
                log.warning("delivery %d via %s failed: %r", notification_id, notification.channel, exc)
                await repository.mark_failed(connection, notification_id, repr(exc))
                return
            await repository.mark_delivered(connection, notification_id)
