"""asyncpg plumbing shared by services: pools with JSON codecs, database creation, URL helpers."""

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson

from shared.lifecycle import sleep_unless

log = logging.getLogger(__name__)


def _encode_json(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


async def _init_connection(connection: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await connection.set_type_codec(name, encoder=_encode_json, decoder=orjson.loads, schema="pg_catalog")


async def create_pool(dsn: str, *, min_size: int = 1, max_size: int = 10, **kwargs: Any) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(dsn, min_size=min_size, max_size=max_size, init=_init_connection, **kwargs)
    assert pool is not None
    return pool


async def connect(dsn: str, **kwargs: Any) -> asyncpg.Connection:
    connection = await asyncpg.connect(dsn, **kwargs)
    await _init_connection(connection)
    return connection


def with_database(dsn: str, database: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(dsn)
    return urlunsplit(parts._replace(path="/" + database))


def with_user(dsn: str, user: str) -> str:
    """The same URL logging in as another user (no password: trust or peer auth, or set it in the URL)."""
    parts = urlsplit(dsn)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return urlunsplit(parts._replace(netloc=f"{user}@{host}{port}"))


def database_name(dsn: str) -> str:
    return urlsplit(dsn).path.lstrip("/") or "postgres"


async def ensure_database(dsn: str) -> bool:
    """Create the URL's database if it does not exist yet; True when it was created."""
    name = database_name(dsn)
    admin = await asyncpg.connect(with_database(dsn, "postgres"))
    try:
        if await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        except asyncpg.DuplicateDatabaseError:
            return False
        return True
    finally:
        await admin.close()


async def wait_for_pool(
    dsn: str, stop: asyncio.Event, max_size: int, retry_seconds: float = 1.0, **kwargs: Any
) -> asyncpg.Pool | None:
    """Open a pool, retrying while the database is down; None if asked to stop first."""
    while not stop.is_set():
        try:
            return await create_pool(dsn, min_size=1, max_size=max_size, **kwargs)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("database unavailable (%r); retrying", exc)
            await sleep_unless(stop, retry_seconds)
    return None


# Failures that say "the database is not reachable right now", as opposed to "this statement is wrong".
CONNECTION_ERRORS: tuple[type[Exception], ...] = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.InternalClientError,  # a connection left mid-operation by a server restart ("cannot switch to state")
)
# SQLSTATE classes worth retrying: connection (08), rollback/deadlock (40), resources (53),
# operator intervention such as admin shutdown (57), read-only transaction during a failover (25006).
_TRANSIENT_SQLSTATE_CLASSES = ("08", "40", "53", "57")


def is_transient(exc: BaseException) -> bool:
    """Whether retrying the same work later may succeed."""
    if isinstance(exc, CONNECTION_ERRORS):
        return True
    state = getattr(exc, "sqlstate", None) or ""
    return state[:2] in _TRANSIENT_SQLSTATE_CLASSES or state == "25006"
