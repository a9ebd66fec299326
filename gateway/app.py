"""Composition root of the gateway: the aiohttp application and its resources."""

import contextlib
import logging
import os
from collections.abc import AsyncIterator

from aiohttp import web

from gateway import audit, board, health, metrics, openapi, routes_feed, routes_reads, routes_writes
from gateway.access import access_middleware
from gateway.auth import KeyRing
from gateway.context import BUS, CANCEL_SECRET, CLOCK, FEED, IP_LIMITER, KEY_LIMITER, KEYS, READER, SETTINGS
from gateway.errors import error_middleware
from gateway.live_feed import LiveFeed
from gateway.rate_limit import RateLimiter
from gateway.request_ids import echo_request_id, request_id_middleware
from gateway.settings import GatewaySettings
from shared import db
from shared.clock import Clock, clock_from_settings
from shared.command_bus import BrokerUnavailable, CommandBus
from shared.topology import Topology

log = logging.getLogger("gateway")
DEVELOPMENT_CANCEL_SECRET = b"opd-development-cancel-codes"


def _configure_access(app: web.Application, settings: GatewaySettings) -> None:
    """Keys, rate limits and the cancel-code secret; a configuration that cannot be safe refuses to start."""
    development = settings.auth_mode == "development"
    keys = KeyRing.from_settings(settings.api_keys, settings.api_keys_file, development)
    if development:
        log.warning("DEVELOPMENT MODE: requests without an API key act as admin; never expose this gateway")
        secret = DEVELOPMENT_CANCEL_SECRET
    elif settings.cancel_code_secret is not None:
        secret = settings.cancel_code_secret.get_secret_value().encode()
        if len(secret) < 16:
            raise ValueError("OPD_CANCEL_CODE_SECRET must be at least 16 characters")
    elif keys.entries:
        raise ValueError("OPD_CANCEL_CODE_SECRET is required when API keys are configured")
    else:
        log.error("no API keys configured (OPD_API_KEYS / OPD_API_KEYS_FILE): only public reads will be served")
        secret = os.urandom(32)
    app[KEYS] = keys
    app[CANCEL_SECRET] = secret
    app[KEY_LIMITER] = RateLimiter(settings.rate_limit_per_key, settings.rate_limit_burst_per_key)
    app[IP_LIMITER] = RateLimiter(settings.rate_limit_per_ip, settings.rate_limit_burst_per_ip)


def create_app(settings: GatewaySettings, clock: Clock | None = None) -> web.Application:
    app = web.Application(
        middlewares=[request_id_middleware, metrics.metrics_middleware, error_middleware, access_middleware],
        client_max_size=settings.max_body_bytes,
    )
    app.on_response_prepare.append(echo_request_id)
    app[SETTINGS] = settings
    _configure_access(app, settings)
    app[CLOCK] = clock or clock_from_settings(settings.clock_start, settings.clock_speed, settings.clock_origin)
    app.add_routes(routes_writes.routes)
    app.add_routes(routes_reads.routes)
    app.add_routes(audit.routes)
    app.add_routes(routes_feed.routes)
    board.install(app)
    app.add_routes(health.routes)
    app.add_routes(metrics.routes)
    app.add_routes(openapi.routes)
    app.on_startup.append(openapi.publish)  # the OpenAPI document, once every route is in
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
