"""Composition root of the gateway: the aiohttp application and its resources."""

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from gateway import health, routes_reads, routes_writes
from gateway.context import BUS, CLOCK, READER, SETTINGS
from gateway.errors import error_middleware
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
    app.add_routes(health.routes)
    app.cleanup_ctx.append(_reader_pool)
    app.cleanup_ctx.append(_command_bus)
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
