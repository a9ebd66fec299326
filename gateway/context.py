"""Typed application keys: what the composition root puts in the app for the handlers."""

import asyncpg
from aiohttp import web

from gateway.auth import KeyRing
from gateway.live_feed import LiveFeed
from gateway.rate_limit import RateLimiter
from gateway.readiness import CachedReadiness
from gateway.settings import GatewaySettings
from gateway.stream_limits import StreamLimits
from shared.clock import Clock
from shared.command_bus import CommandBus

SETTINGS = web.AppKey("settings", GatewaySettings)
BUS = web.AppKey("bus", CommandBus)
READER = web.AppKey("reader", asyncpg.Pool)
CLOCK = web.AppKey("clock", Clock)
FEED = web.AppKey("feed", LiveFeed)
KEYS = web.AppKey("keys", KeyRing)
KEY_LIMITER = web.AppKey("key_limiter", RateLimiter)
IP_LIMITER = web.AppKey("ip_limiter", RateLimiter)
CANCEL_SECRET = web.AppKey("cancel_secret", bytes)
STREAMS = web.AppKey("streams", StreamLimits)
READINESS = web.AppKey("readiness", CachedReadiness)
