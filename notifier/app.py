"""Composition root of the notifier: pool, channels, the delivery worker and the event consumer."""

import asyncio
import contextlib
import logging

import aiohttp
import asyncpg

from notifier.channels import Channel
from notifier.channels.email import EmailChannel
from notifier.channels.log import LogChannel
from notifier.channels.webhook import WebhookChannel
from notifier.consumer import EventConsumer
from notifier.metrics import watch_pending
from notifier.settings import NotifierSettings
from notifier.worker import DeliveryWorker, RetryPolicy
from shared import amqp, db
from shared.readiness import Readiness
from shared.status_links import StatusLinks
from shared.topology import Topology

log = logging.getLogger("notifier")


def build_channels(settings: NotifierSettings, session: aiohttp.ClientSession) -> dict[str, Channel]:
    """The log always; the webhook and e-mail when their addresses are configured."""
    channels: dict[str, Channel] = {LogChannel.name: LogChannel()}
    if settings.webhook_url:
        channels[WebhookChannel.name] = WebhookChannel(
            session, settings.webhook_url, settings.webhook_secret, settings.webhook_timeout_seconds
        )
    if settings.smtp_host:
        channels[EmailChannel.name] = EmailChannel(
            settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_timeout_seconds
        )
    return channels


def status_links(settings: NotifierSettings) -> StatusLinks | None:
    """Booking messages carry the status link when the hospital's public address and the secret are both set."""
    secret = settings.cancel_code_secret
    if secret is None or settings.public_base_url is None:
        return None
    return StatusLinks(secret.get_secret_value().encode(), settings.public_base_url)


def build_worker(settings: NotifierSettings, pool: asyncpg.Pool, channels: dict[str, Channel]) -> DeliveryWorker:
    policy = RetryPolicy(
        max_attempts=settings.delivery_max_attempts,
        initial_seconds=settings.delivery_backoff_initial_seconds,
        max_seconds=settings.delivery_backoff_max_seconds,
    )
    return DeliveryWorker(
        pool,
        channels,
        policy,
        settings.instance_name,
        lease_seconds=settings.delivery_lease_seconds,
        batch_size=settings.delivery_batch_size,
        poll_seconds=settings.delivery_poll_seconds,
        linger_seconds=settings.delivery_linger_ms / 1000,
    )


async def consume_events(
    settings: NotifierSettings, consumer: EventConsumer, stop: asyncio.Event, readiness: Readiness
) -> None:
    """Consume ``opd.events`` until ``stop``, reconnecting to the broker as needed."""
    await amqp.serve_connected(
        settings.amqp_url,
        "notifier",
        consumer.topology,
        lambda connection: consumer.run(connection, stop),
        stop,
        readiness,
    )


async def run_notifier(settings: NotifierSettings, stop: asyncio.Event, readiness: Readiness | None = None) -> None:
    readiness = readiness or Readiness("database", "broker")
    pool = await db.wait_for_pool(settings.writer_dsn, stop, 4, settings.writer_setting, readiness)
    if pool is None:
        return
    async with contextlib.AsyncExitStack() as stack:
        stack.push_async_callback(pool.close)
        session = await stack.enter_async_context(aiohttp.ClientSession())
        channels = build_channels(settings, session)
        worker = build_worker(settings, pool, channels)
        consumer = EventConsumer(
            pool,
            Topology(settings.broker_prefix, settings.shard_count),
            settings.zone,
            channels=tuple(channels),
            default_language=settings.default_language,
            coalesce_seconds=settings.eta_coalesce_seconds,
            recorded=worker.wake.set,
            prefetch=settings.prefetch,
            retry_initial_seconds=settings.retry_initial_seconds,
            retry_max_seconds=settings.retry_max_seconds,
            links=status_links(settings),
            ack_linger_seconds=settings.event_ack_linger_ms / 1000,
            batch_linger_seconds=settings.event_batch_linger_ms / 1000,
        )
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(worker.run(stop))
            tasks.create_task(watch_pending(pool, channels, stop))
            tasks.create_task(db.watch_database(pool, settings.writer_dsn, settings.writer_setting, readiness, stop))
            tasks.create_task(consume_events(settings, consumer, stop, readiness))
    log.info("notifier stopped")
