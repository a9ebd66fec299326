"""asyncpg plumbing shared by services: pools with JSON codecs, database creation, URL helpers."""

import asyncio
import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import orjson

from shared.backoff import backoff_seconds
from shared.lifecycle import sleep_unless
from shared.readiness import Readiness
from shared.startup import StartupError, database_fatal, database_problem

log = logging.getLogger(__name__)
RETRY_INITIAL_SECONDS = 1.0
RETRY_MAX_SECONDS = 30.0


def _encode_json(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


async def _init_connection(connection: asyncpg.Connection) -> None:
    for name in ("json", "jsonb"):
        await connection.set_type_codec(name, encoder=_encode_json, decoder=orjson.loads, schema="pg_catalog")


async def keep_session(connection: asyncpg.Connection) -> None:
    """A pool's ``reset`` for code that leaves no session state behind (no ``SET``, ``LISTEN``, cursors or advisory
    locks): asyncpg still rolls back a transaction left open, and the round trip of ``RESET ALL; UNLISTEN *; …``
    on every release is saved."""


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
    try:
        admin = await asyncpg.connect(with_database(dsn, "postgres"))
    except (OSError, asyncpg.PostgresError) as exc:
        raise StartupError(database_problem(exc, dsn, "OPD_DATABASE_URL")) from exc
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
    dsn: str,
    stop: asyncio.Event,
    max_size: int,
    setting: str = "OPD_DATABASE_URL",
    readiness: Readiness | None = None,
    **kwargs: Any,
) -> asyncpg.Pool | None:
    """Open a pool, waiting with backoff while the server is unreachable; None if asked to stop first.

    A refused login or a missing database is a ``StartupError`` at once: waiting would not fix it.
    """
    attempt = 0
    while not stop.is_set():
        try:
            pool = await create_pool(dsn, min_size=1, max_size=max_size, **kwargs)
        except (OSError, asyncpg.PostgresError) as exc:
            problem = database_problem(exc, dsn, setting)
            if database_fatal(exc):
                raise StartupError(problem) from exc
            attempt += 1
            delay = backoff_seconds(attempt, RETRY_INITIAL_SECONDS, RETRY_MAX_SECONDS)
            if readiness is not None:
                readiness.down("database", problem)
            log.warning("%s Retrying in %.1f s.", problem, delay)
            await sleep_unless(stop, delay)
        else:
            if readiness is not None:
                readiness.up("database")
            return pool
    return None


async def connect_explained(dsn: str, setting: str = "OPD_DATABASE_URL", **kwargs: Any) -> asyncpg.Connection:
    """``connect`` for commands that fail fast (``opd migrate``): any connection failure is a ``StartupError``."""
    try:
        return await connect(dsn, **kwargs)
    except (OSError, asyncpg.PostgresError) as exc:
        raise StartupError(database_problem(exc, dsn, setting)) from exc


async def create_pool_explained(dsn: str, setting: str, **kwargs: Any) -> asyncpg.Pool:
    """``create_pool`` for commands that fail fast: any connection failure is a ``StartupError``."""
    try:
        return await create_pool(dsn, **kwargs)
    except (OSError, asyncpg.PostgresError) as exc:
        raise StartupError(database_problem(exc, dsn, setting)) from exc


async def watch_database(
    pool: asyncpg.Pool, dsn: str, setting: str, readiness: Readiness, stop: asyncio.Event, seconds: float = 5.0
) -> None:
    """Keep the database's line of ``readiness`` current: a ``SELECT 1`` every few seconds."""
    while not stop.is_set():
        try:
            async with pool.acquire(timeout=seconds) as connection:
                await connection.fetchval("SELECT 1", timeout=seconds)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            readiness.down("database", database_problem(exc, dsn, setting))
        else:
            readiness.up("database")
        await sleep_unless(stop, seconds)


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
