"""A shard's subscription closes every channel it opened, however it ends: a setup failing midway on a connection
that stays open must not leave its reply channel behind (one more per retry, for as long as the failure lasts)."""

import asyncio
from typing import cast

import aio_pika
import aiormq
import pytest

from allocator.entrypoints.shard_consumer import BatchSettings, ShardConsumer
from allocator.service.processor import ShardProcessor
from shared.topology import Topology


class _Shard:
    shard = 0
    cancel_secret = None


def _open_channels(connection: aio_pika.abc.AbstractConnection) -> list[int]:
    underlay = cast(aio_pika.Connection, connection).transport
    assert underlay is not None
    return [number for number, channel in underlay.connection.channels.items() if channel and not channel.is_closed]


async def test_a_subscription_refused_by_the_broker_leaves_no_channel_open(
    amqp_connection: aio_pika.abc.AbstractConnection, topology: Topology
) -> None:
    consumer = ShardConsumer(cast(ShardProcessor, _Shard()), topology, BatchSettings(), {})
    assert _open_channels(amqp_connection) == []

    for _ in range(3):  # the shard's queue was never declared: the broker refuses the consumer
        with pytest.raises(aiormq.exceptions.ChannelNotFoundEntity):
            await consumer._serve(amqp_connection, asyncio.Event())

    assert not amqp_connection.is_closed
    assert _open_channels(amqp_connection) == []
