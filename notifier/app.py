"""Composition root of the notifier: pool, channels, broker and the event consumer."""

import asyncio
import logging

from notifier.channels.log import LogChannel
from notifier.consumer import EventConsumer
from notifier.settings import NotifierSettings
from shared import amqp, db
from shared.lifecycle import sleep_unless
from shared.topology import Topology, declare

log = logging.getLogger("notifier")
RECONNECT_SECONDS = 1.0


async def run_notifier(settings: NotifierSettings, stop: asyncio.Event) -> None:
    topology = Topology(settings.broker_prefix, settings.shard_count)
    pool = await db.wait_for_pool(settings.database_url, stop, max_size=4)
    if pool is None:
        return
    consumer = EventConsumer(
        pool,
        {LogChannel.name: LogChannel()},
        topology,
        settings.zone,
        prefetch=settings.prefetch,
        retry_initial_seconds=settings.retry_initial_seconds,
        retry_max_seconds=settings.retry_max_seconds,
    )
    try:
        while not stop.is_set():
            try:
                connection = await amqp.connect(settings.amqp_url, "notifier")
            except amqp.AMQP_ERRORS as exc:
                log.warning("broker unavailable (%r); retrying", exc)
                await sleep_unless(stop, RECONNECT_SECONDS)
                continue
            try:
                async with connection:
                    await declare(await connection.channel(), topology)
                    await consumer.run(connection, stop)
            except amqp.AMQP_ERRORS as exc:
                log.warning("broker connection lost (%r); reconnecting", exc)
                await sleep_unless(stop, RECONNECT_SECONDS)
    finally:
        await pool.close()
    log.info("notifier stopped")
