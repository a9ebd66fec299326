"""Composition root of the gateway: the aiohttp application and its resources."""

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from gateway import audit, board, health, routes_feed, routes_reads, routes_writes
from gateway.context import BUS, CLOCK, FEED, READER, SETTINGS
from gateway.errors import error_middleware
from gateway.live_feed import LiveFeed
from gateway.settings import GatewaySettings
from shared import db
from shared.clock import Clock, clock_from_settings
from shared.command_bus import BrokerUnavailable, CommandBus
from shared.topology import Topology


def create_app(settings: GatewaySettings, clock: Clock | None = None) -> web.Application:
    app = web.Application(middlewares=[error_middleware], client_max_size=settings.max_body_bytes)
    app[SETTINGS] = settings
    app[CLOCK] = clock or clock_from_settings(settings.clock_start, settings.clock_speed, settings.clock_origin)
    app.add_routes(routes_writes.routes)
    app.add_routes(routes_reads.routes)
    app.add_routes(audit.routes)
    app.add_routes(routes_feed.routes)
    app.add_routes(board.routes)
    app.add_routes(health.routes)
    app.cleanup_ctx.append(_reader_pool)
    app.cleanup_ctx.append(_command_bus)
    app.cleanup_ctx.append(_live_feed)
    app.on_shutdown.append(_end_streams)
    return app


async def _reader_pool(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await db.create_pool(settings.reader_dsn, min_size=0, max_size=10)  # starts even if the DB is down
    app[READER] = pool
    yield
    await pool.close()


async def _command_bus(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    bus = CommandBus(settings.amqp_url, Topology(settings.broker_prefix, settings.shard_count), "gateway")
    app[BUS] = bus
    with contextlib.suppress(BrokerUnavailable):  # still start: writes answer 503 until the broker is back
        await bus.ensure_connected()
    yield
    await bus.close()


async def _live_feed(app: web.Application) -> AsyncIterator[None]:
    """The events consumer starts with the first SSE subscriber and stops with the app."""
    settings = app[SETTINGS]
    topology = Topology(settings.broker_prefix, settings.shard_count)
    feed = LiveFeed(settings.amqp_url, topology, settings.feed_buffer_size)
    app[FEED] = feed
    yield
    await feed.close()


async def _end_streams(app: web.Application) -> None:
    """Finish open SSE streams before the server waits for its handlers to return."""
    if FEED in app:
        app[FEED].end_subscriptions()
