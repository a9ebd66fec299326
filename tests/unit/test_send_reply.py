"""A reply to a channel already closed is logged as undelivered, not handed to a publish that would not say so."""

import logging
from typing import Any, cast
from uuid import uuid4

import pytest

from shared.amqp import Underlay
from shared.contracts.replies import Reply
from shared.deliveries import Delivery, send_reply


class _Channel:
    def __init__(self, closed: bool) -> None:
        self.is_closed = closed
        self.published: list[bytes] = []

    async def basic_publish(self, body: bytes, **kwargs: Any) -> None:
        self.published.append(body)


class _Message:
    reply_to = "amq.rabbitmq.reply-to.abc"
    correlation_id = "c1"
    message_id = None


@pytest.mark.parametrize("closed", [False, True])
async def test_a_reply_goes_out_on_an_open_channel_and_is_logged_as_lost_on_a_closed_one(
    closed: bool, caplog: pytest.LogCaptureFixture
) -> None:
    channel = _Channel(closed)
    with caplog.at_level(logging.WARNING, logger="shared.deliveries"):
        await send_reply(cast(Underlay, channel), cast(Delivery, _Message()), Reply(command_id=uuid4(), ok=True))
    assert len(channel.published) == (0 if closed else 1)
    assert ("not delivered" in caplog.text) is closed
