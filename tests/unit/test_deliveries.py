"""A delivery read straight from aiormq's message: its properties as published, and acks for its own tag."""

from typing import Any, cast

from aiormq.abc import AbstractChannel, DeliveredMessage
from pamqp.commands import Basic
from pamqp.header import ContentHeader

from shared.deliveries import Delivery


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
