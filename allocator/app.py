"""Composition root of the allocator: pool, broker, topology, shard consumers and the outbox relay."""

import asyncio
import logging
import os
import socket
from contextlib import AsyncExitStack
from datetime import timedelta

import asyncpg
from aio_pika.abc import AbstractConnection

from allocator.adapters.metrics import watch_outbox, watch_queues
from allocator.adapters.outbox_relay import OutboxRelay
from allocator.adapters.postgres_store import PostgresStore
from allocator.domain.policy import Policy
from allocator.entrypoints.shard_consumer import BatchSettings, ShardConsumer
from allocator.entrypoints.ticker import run_ticker
from allocator.service.processor import ShardProcessor
from allocator.settings import AllocatorSettings
from shared import amqp, db
from shared.authority import parse_broker_users
from shared.clock import Clock, clock_from_settings
from shared.readiness import Readiness
from shared.topology import Topology

log = logging.getLogger("allocator")


def build_policy(settings: AllocatorSettings) -> Policy:
    return Policy(
        zone=settings.zone,
        booking_horizon_days=settings.booking_horizon_days,
        release_reserve_at_start=settings.release_reserve_at_start,
        eta_notice_threshold=settings.eta_notice_threshold,
        day_updates_from=settings.eta_day_updates_from,
        no_show_grace=timedelta(minutes=settings.no_show_grace_minutes),
        recall_after_patients=settings.recall_after_patients,
        show_chance=settings.eta_show_chance,
    )


async def open_pool(
    settings: AllocatorSettings, stop: asyncio.Event, readiness: Readiness | None = None
) -> asyncpg.Pool | None:
    """The allocator's sessions (as ``opd_allocator``, with its session settings); None if asked to stop first."""
    return await db.wait_for_pool(
        settings.writer_dsn,
        stop,
        settings.pool_size,
        settings.writer_setting,
        readiness,
        server_settings=settings.session_settings,
    )


async def run_allocator(
    settings: AllocatorSettings, stop: asyncio.Event, clock: Clock | None = None, readiness: Readiness | None = None
) -> None:
    """Serve the configured shards until ``stop`` is set; survive broker and database outages."""
    readiness = readiness or Readiness("database", "broker")
    clock = clock or clock_from_settings(settings.clock_start, settings.clock_speed, settings.clock_origin)
    topology = Topology(settings.broker_prefix, settings.shard_count)
    holder = settings.holder_name or f"{socket.gethostname()}:{os.getpid()}"
    batch = BatchSettings(
        max_size=settings.batch_max_size,
        linger_seconds=settings.batch_linger_ms / 1000,
        ack_linger_seconds=settings.command_ack_linger_ms / 1000,
    )
    shards = settings.shard_list()
    relay = OutboxRelay(settings.writer_dsn, topology, shards)
    broker_users = parse_broker_users(settings.broker_users)
    secret = settings.cancel_code_secret.get_secret_value().encode() if settings.cancel_code_secret else None
    async with AsyncExitStack() as stack:
        pool = await open_pool(settings, stop, readiness)
        if pool is None:
            return
        stack.push_async_callback(pool.close)
        policy = build_policy(settings)
        store = PostgresStore(pool, policy.zone)
        processors = [
            ShardProcessor(
                store, store, shard, holder, policy, clock, settings.shard_count, outlet=relay, cancel_secret=secret
            )
            for shard in shards
        ]
        consumers = [ShardConsumer(p, topology, batch, broker_users, settings.public_base_url) for p in processors]

        async def serve(connection: AbstractConnection) -> None:
            log.info("serving shards %s as %s", shards, holder)
            relay_stop = asyncio.Event()  # set once the consumers are done: the relay drains what they committed
            async with asyncio.TaskGroup() as relaying:
                relaying.create_task(relay.run(connection, relay_stop))
                try:
                    async with asyncio.TaskGroup() as tasks:
                        tasks.create_task(
                            run_ticker(
                                connection,
                                topology,
                                shards,
                                settings.tick_seconds,
                                stop,
                                amqp.login_of(settings.amqp_url),
                            )
                        )
                        tasks.create_task(watch_queues(connection, consumers, stop))
                        for consumer in consumers:
                            tasks.create_task(consumer.run(connection, stop))
                finally:
                    relay_stop.set()

        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(watch_outbox(pool, stop))
            tasks.create_task(db.watch_database(pool, settings.writer_dsn, settings.writer_setting, readiness, stop))
            tasks.create_task(
                amqp.serve_connected(settings.amqp_url, f"allocator {holder}", topology, serve, stop, readiness)
            )
    log.info("allocator stopped")
