"""A delivery read straight from aiormq's message: its properties as published, and acks for its own tag."""

import asyncio
from typing import Any, cast

from aio_pika.abc import AbstractChannel as AioPikaChannel
from aiormq.abc import AbstractChannel, DeliveredMessage
from pamqp.commands import Basic
from pamqp.header import ContentHeader

from shared.deliveries import Delivery, consume


class _Channel:
    def __init__(self) -> None:
        self.calls: list[tuple[str, int, dict[str, Any]]] = []

    async def basic_ack(self, delivery_tag: int, **kwargs: Any) -> None:
        self.calls.append(("ack", delivery_tag, kwargs))

    async def basic_nack(self, delivery_tag: int, **kwargs: Any) -> None:
        self.calls.append(("nack", delivery_tag, kwargs))


def _delivery(channel: _Channel, **properties: Any) -> Delivery:
    header = ContentHeader(properties=Basic.Properties(**properties))
    deliver = Basic.Deliver(consumer_tag="c", delivery_tag=7, routing_key="opd.commands.0", exchange="opd.commands")
    return Delivery(DeliveredMessage(deliver, header, b'{"a": 1}', cast(AbstractChannel, channel)))


def test_a_delivery_reads_the_properties_it_was_published_with() -> None:
    delivery = _delivery(
        _Channel(),
        message_id="m1",
        correlation_id="c1",
        reply_to="amq.rabbitmq.reply-to.x",
        message_type="BookToken",
        user_id="kiosk-7",
        headers={"x-opd-error": "why"},
    )
    assert (delivery.body, delivery.delivery_tag, delivery.message_id, delivery.correlation_id) == (
        b'{"a": 1}',
        7,
        "m1",
        "c1",
    )
    assert (delivery.reply_to, delivery.type, delivery.user_id) == ("amq.rabbitmq.reply-to.x", "BookToken", "kiosk-7")
    assert delivery.headers == {"x-opd-error": "why"}
    assert _delivery(_Channel()).headers == {} and _delivery(_Channel()).reply_to is None


async def test_acks_and_nacks_name_the_deliverys_own_tag() -> None:
    channel = _Channel()
    delivery = _delivery(channel)
    await delivery.ack()
    await delivery.ack(multiple=True)
    await delivery.nack(requeue=False)
    assert channel.calls == [
        ("ack", 7, {"multiple": False}),
        ("ack", 7, {"multiple": True}),
        ("nack", 7, {"requeue": False}),
    ]


class _Underlay(_Channel):
    def __init__(self) -> None:
        super().__init__()
        self.on_consumer_cancel_callbacks: set[Any] = set()
        self.consumed: list[tuple[str, Any, dict[str, Any]]] = []

    async def basic_consume(self, queue: str, callback: Any, **kwargs: Any) -> None:
        self.consumed.append((queue, callback, kwargs))


class _AioPikaChannel:
    def __init__(self) -> None:
        self.underlay = _Underlay()
        self.closed = asyncio.Event()

    async def get_underlay_channel(self) -> _Underlay:
        return self.underlay

    async def close(self) -> None:
        self.closed.set()


def _deliver(underlay: _Underlay, tag: int) -> DeliveredMessage:
    deliver = Basic.Deliver(consumer_tag="c", delivery_tag=tag, routing_key="k", exchange="e")
    return DeliveredMessage(
        deliver, ContentHeader(properties=Basic.Properties()), b"{}", cast(AbstractChannel, underlay)
    )


async def test_a_consumer_takes_deliveries_with_acks_and_gives_back_one_it_could_not_take() -> None:
    channel = _AioPikaChannel()
    taken: list[int | None] = []

    def take(delivery: Delivery) -> None:
        if delivery.delivery_tag == 2:
            raise RuntimeError("a bug")
        taken.append(delivery.delivery_tag)

    await consume(cast(AioPikaChannel, channel), "opd.notifier", take)
    [(queue, callback, options)] = channel.underlay.consumed
    assert (queue, options) == ("opd.notifier", {"no_ack": False})
    for tag in (1, 2, 3):
        await callback(_deliver(channel.underlay, tag))
    assert taken == [1, 3]
    assert channel.underlay.calls == [("nack", 2, {"requeue": True})]  # back to the queue, not settled unseen


async def test_a_consumer_the_broker_cancels_closes_its_channel_to_subscribe_again() -> None:
    channel = _AioPikaChannel()
    await consume(cast(AioPikaChannel, channel), "opd.notifier", lambda delivery: None)
    [cancelled] = channel.underlay.on_consumer_cancel_callbacks
    await cancelled(Basic.Cancel(consumer_tag="c"))
    await asyncio.wait_for(channel.closed.wait(), 1)
