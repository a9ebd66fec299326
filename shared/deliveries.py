"""What a consumer does with a delivery: receive it, answer its sender, park it with the reason, settle it.

A queue is consumed on the channel under aio-pika's, as the command bus takes its replies (D96): each delivery is
aiormq's own message, read through ``Delivery``, without aio-pika's message object and the second task it runs the
callback in (D110); aiormq's own task per delivery remains, started in delivery order. The allocator's shard
consumers and the notifier's event consumer read a delivery's body and properties, ack and nack it; that is all
``Delivery`` offers.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aio_pika.abc import AbstractChannel
from aiormq.abc import DeliveredMessage
from pamqp.commands import Basic
from pamqp.common import FieldTable

from shared.amqp import (
    DEAD_LETTER_BODY_BYTES,
    DEAD_LETTER_CODE,
    DEAD_LETTER_QUEUE,
    DEAD_LETTER_REASON,
    Underlay,
    broker_failed,
    persistent,
    underlay_of,
)
from shared.codec import CONTENT_TYPE, encode
from shared.contracts.replies import Reply

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One message delivered to a consumer that acks (``no_ack=False``)."""

    message: DeliveredMessage

    @property
    def body(self) -> bytes:
        return self.message.body

    @property
    def delivery_tag(self) -> int | None:
        return self.message.delivery_tag

    @property
    def message_id(self) -> str | None:
        return self.message.header.properties.message_id

    @property
    def correlation_id(self) -> str | None:
        return self.message.header.properties.correlation_id

    @property
    def reply_to(self) -> str | None:
        return self.message.header.properties.reply_to

    @property
    def type(self) -> str | None:
        return self.message.header.properties.message_type

    @property
    def user_id(self) -> str | None:
        """The login of the connection that published it, checked by the broker."""
        return self.message.header.properties.user_id

    @property
    def headers(self) -> FieldTable:
        return self.message.header.properties.headers or {}

    def ack(self, *, multiple: bool = False) -> Awaitable[None]:
        """Settle it (and, with ``multiple``, every earlier delivery of the channel not settled yet)."""
        return self.message.channel.basic_ack(self._tag, multiple=multiple)

    def nack(self, *, requeue: bool = True) -> Awaitable[None]:
        """Give it back to the queue (``requeue``), or drop it."""
        return self.message.channel.basic_nack(self._tag, requeue=requeue)

    @property
    def _tag(self) -> int:
        tag = self.message.delivery_tag
        if tag is None:  # only a basic.get's "empty" answer has none, and a consumer never receives one
            raise ValueError("a delivery without a delivery tag cannot be settled")
        return tag


async def consume(channel: AbstractChannel, queue: str, on_delivery: Callable[[Delivery], None]) -> None:
    """Start consuming ``queue`` on the channel, acks required.

    ``on_delivery`` takes each delivery in delivery order, and cannot wait: a consumer's ``multiple`` ack settles
    every earlier delivery, so none may overtake another on its way in. A delivery it fails to take is given back to
    the queue at once (its delivery limit parks one that always fails), so no later ack settles it unseen. If the
    broker cancels the consumer (its queue deleted), the channel is closed: whoever watches it subscribes again."""
    underlay = await underlay_of(channel)
    closing: set[asyncio.Future[None]] = set()

    async def deliver(message: DeliveredMessage) -> None:
        # Handed over before this task's first await: the tasks start in delivery order, so the deliveries
        # reach ``on_delivery`` in that order too.
        delivery = Delivery(message)
        try:
            on_delivery(delivery)
        except Exception:
            log.exception("could not take delivery %s from %s; giving it back", delivery.delivery_tag, queue)
            await delivery.nack(requeue=True)

    async def cancelled(frame: Basic.Cancel) -> None:
        log.warning("the broker cancelled the consumer of %s; closing its channel to subscribe again", queue)
        task: asyncio.Future[None] = asyncio.ensure_future(channel.close())  # not from the channel's own reader
        closing.add(task)
        task.add_done_callback(closing.discard)

    underlay.on_consumer_cancel_callbacks.add(cancelled)
    await underlay.basic_consume(queue, deliver, no_ack=False)


async def send_reply(channel: Underlay, message: Delivery, reply: Reply) -> None:
    """Answer a request that asked for one (``reply_to``); correlated by its ``correlation_id``, else its id.

    Published on the channel under aio-pika's (``get_underlay_channel``), without a message object: one reply per
    command, where aio-pika's objects were a tenth of the allocator's publishing cost (D99)."""
    if not message.reply_to:
        return
    if channel.is_closed:  # unconfirmed and not drained (D102): the publish itself would not say so
        log.warning("reply to %s not delivered: its channel is closed", message.reply_to)
        return
    correlation_id = message.correlation_id or message.message_id or str(reply.command_id)
    try:
        await channel.basic_publish(
            encode(reply),
            routing_key=message.reply_to,
            properties=Basic.Properties(content_type=CONTENT_TYPE, correlation_id=correlation_id),
            mandatory=False,  # an asker that has gone away loses only the reply; the outcome stays queryable
            wait=False,  # queued for the connection's writer: no wait for a socket drain per reply
        )
    except Exception as exc:  # the command is committed; the asker can read the outcome later
        if not broker_failed(exc):
            raise
        log.warning("reply to %s not delivered: %r", message.reply_to, exc)


async def dead_letter(
    channel: AbstractChannel,
    exchange: str,
    routing_key: str,
    message: Delivery,
    reason: str,
    queue: str,
    code: str | None = None,
    keep_body: bool = True,
) -> None:
    """Park a message that can never succeed, with the reason (and machine code), then drop it from its queue.

    Without ``keep_body`` (a body too large to keep) only its size is parked, in the header ``x-opd-body-bytes``.
    """
    dlx = await channel.get_exchange(exchange, ensure=False)
    headers = dict(message.headers or {})
    headers[DEAD_LETTER_REASON] = reason[:1000]
    headers[DEAD_LETTER_QUEUE] = queue
    if code is not None:
        headers[DEAD_LETTER_CODE] = code
    if not keep_body:
        headers[DEAD_LETTER_BODY_BYTES] = len(message.body)
    await dlx.publish(
        persistent(
            message.body if keep_body else b"",
            headers=headers,
            message_id=message.message_id,
            correlation_id=message.correlation_id,
            reply_to=message.reply_to,
            type=message.type,
        ),
        routing_key=routing_key,
    )
    await message.ack()
