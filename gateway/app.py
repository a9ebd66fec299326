"""Composition root of the gateway: the aiohttp application and its resources."""

import logging
import os
from collections.abc import AsyncIterator

import asyncpg
from aiohttp import web

from gateway import audit, board, fhir, fonts, health, metrics, openapi, routes_feed, routes_reads, routes_writes
from gateway.access import access_middleware
from gateway.auth import InvalidKeyConfig, KeyRing
from gateway.client_address import TrustedProxies, parse_proxies
from gateway.context import (
    BUS,
    CANCEL_SECRET,
    CLOCK,
    FEED,
    IP_LIMITER,
    KEY_LIMITER,
    KEYS,
    READER,
    READINESS,
    SETTINGS,
    STREAMS,
)
from gateway.errors import error_middleware
from gateway.live_feed import LiveFeed
from gateway.rate_limit import RateLimiter
from gateway.readiness import CachedReadiness
from gateway.request_ids import echo_request_id, request_id_middleware
from gateway.responses import hide_versions
from gateway.settings import GatewaySettings
from gateway.status_page import actions as status_actions
from gateway.status_page import limits as status_limits
from gateway.status_page import routes as status_page
from gateway.status_page import sms as status_sms
from gateway.stream_limits import StreamLimits
from shared import db
from shared.clock import Clock, clock_from_settings
from shared.command_bus import BrokerUnavailable, CommandBus
from shared.startup import StartupError, broker_fatal, broker_problem, database_fatal, database_problem
from shared.topology import Topology

log = logging.getLogger("gateway")
DEVELOPMENT_CANCEL_SECRET = b"opd-development-cancel-codes"
SECRET_REMEDY = "Set it to a long random string, e.g. `openssl rand -hex 32`; keep it, it signs patients' cancel codes."


def _configure_access(app: web.Application, settings: GatewaySettings) -> None:
    """Keys, rate limits and the cancel-code secret; a configuration that cannot be safe refuses to start."""
    development = settings.auth_mode == "development"
    try:
        keys = KeyRing.from_settings(settings.api_keys, settings.api_keys_file, development)
    except (InvalidKeyConfig, OSError) as exc:
        raise StartupError(f"{exc} (OPD_API_KEYS / OPD_API_KEYS_FILE). Make entries with `opd api-key`.") from exc
    if development:
        log.warning("DEVELOPMENT MODE: requests without an API key act as admin; never expose this gateway")
    if settings.cancel_code_secret is not None:
        secret = settings.cancel_code_secret.get_secret_value().encode()
        if len(secret) < 16:
            raise StartupError(f"OPD_CANCEL_CODE_SECRET must be at least 16 characters. {SECRET_REMEDY}")
    elif development:
        secret = DEVELOPMENT_CANCEL_SECRET
    elif keys.entries:
        raise StartupError(f"OPD_CANCEL_CODE_SECRET is required when API keys are configured. {SECRET_REMEDY}")
    else:
        log.error("no API keys configured (OPD_API_KEYS / OPD_API_KEYS_FILE): only public reads will be served")
        secret = os.urandom(32)
    app[KEYS] = keys
    app[CANCEL_SECRET] = secret
    app[KEY_LIMITER] = RateLimiter(settings.rate_limit_per_key, settings.rate_limit_burst_per_key)
    app[IP_LIMITER] = RateLimiter(settings.rate_limit_per_ip, settings.rate_limit_burst_per_ip)
    app[STREAMS] = StreamLimits(settings.feed_max_streams, settings.feed_max_streams_per_address)
    app[READINESS] = CachedReadiness(settings.readiness_cache_seconds)


def create_app(settings: GatewaySettings, clock: Clock | None = None) -> web.Application:
    proxies = TrustedProxies(parse_proxies(settings.trusted_proxies))
    app = web.Application(
        middlewares=[
            request_id_middleware,
            metrics.metrics_middleware,
            fhir.outcome_middleware,  # /fhir/ errors as OperationOutcome, whichever middleware made them
            error_middleware,
            proxies.middleware,
            access_middleware,
        ],
        client_max_size=settings.max_body_bytes,
    )
    app.on_response_prepare.append(echo_request_id)
    app.on_response_prepare.append(hide_versions)
    app[SETTINGS] = settings
    _configure_access(app, settings)
    app[CLOCK] = clock or clock_from_settings(settings.clock_start, settings.clock_speed, settings.clock_origin)
    app.add_routes(routes_writes.routes)
    app.add_routes(routes_reads.routes)
    app.add_routes(audit.routes)
    app.add_routes(routes_feed.routes)
    board.install(app)
    app.add_routes(fonts.routes)
    status_limits.install(app, settings)
    app.add_routes(status_page.routes)
    app.add_routes(status_actions.routes)
    app.add_routes(status_sms.routes)
    app.add_routes(health.routes)
    app.add_routes(metrics.routes)
    app.add_routes(openapi.routes)
    app.add_routes(fhir.read_routes)
    app.add_routes(fhir.write_routes)
    app.on_startup.append(openapi.publish)  # the OpenAPI document, once every route is in
    app.cleanup_ctx.append(_reader_pool)
    app.cleanup_ctx.append(_command_bus)
    app.cleanup_ctx.append(_live_feed)
    app.on_shutdown.append(_end_streams)
    return app


async def _reader_pool(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    pool = await db.create_pool(settings.reader_dsn, min_size=0, max_size=10)  # starts even if the DB is down
    try:
        async with pool.acquire(timeout=5) as connection:
            await connection.fetchval("SELECT 1")
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        problem = database_problem(exc, settings.reader_dsn, settings.reader_setting)
        if database_fatal(exc):
            await pool.close()
            raise StartupError(problem) from exc
        log.warning("%s Reads answer 503 until it is reachable.", problem)
    app[READER] = pool
    yield
    await pool.close()


async def _command_bus(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    bus = CommandBus(settings.amqp_url, Topology(settings.broker_prefix, settings.shard_count), "gateway")
    app[BUS] = bus
    try:
        await bus.ensure_connected()
    except BrokerUnavailable as exc:  # still start: writes answer 503 until the broker is back, unless it never will
        cause = exc.__cause__ or exc
        if broker_fatal(cause):
            await bus.close()
            raise StartupError(broker_problem(cause, settings.amqp_url)) from exc
        log.warning("%s Writes answer 503 until it is reachable.", broker_problem(cause, settings.amqp_url))
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
