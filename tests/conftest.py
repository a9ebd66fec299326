"""Shared fixtures: a fresh database cloned from a migrated template, a per-test broker prefix, the services.

URLs come from OPD_TEST_DATABASE_URL (an admin login) and OPD_TEST_AMQP_URL, with local defaults.
"""

import hashlib
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from urllib.parse import quote
from uuid import uuid4
from zoneinfo import ZoneInfo

import aio_pika
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from allocator.app import run_allocator
from allocator.settings import AllocatorSettings
from deploy.broker_access import apply_with_rabbitmqctl
from gateway.app import create_app
from gateway.settings import GatewaySettings
from notifier.app import run_notifier
from notifier.settings import NotifierSettings
from shared import db
from shared.clock import ManualClock
from shared.migrate import migrate
from shared.topology import Topology, delete
from tests.support.api import ApiClient
from tests.support.services import Running, start

ADMIN_DSN = os.environ.get("OPD_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("OPD_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
TEMPLATE_DATABASE = f"opd_test_template_{os.getpid()}"
SHARD_COUNT = 2
ZONE = ZoneInfo("Asia/Kolkata")
# A Tuesday morning, before the test doctors' first slot (09:00): reserved seats are still held.
MORNING = datetime(2026, 12, 1, 8, 0, tzinfo=ZONE)


@pytest.fixture(scope="session")
async def template_database() -> AsyncIterator[str]:
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DATABASE}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{TEMPLATE_DATABASE}"')
        connection = await db.connect(db.with_database(ADMIN_DSN, TEMPLATE_DATABASE))
        try:
            await migrate(connection)
        finally:
            await connection.close()
        yield TEMPLATE_DATABASE
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DATABASE}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def database(template_database: str) -> AsyncIterator[str]:
    """A migrated database of the test's own, cloned from the template (fast), dropped afterwards."""
    name = f"opd_t_{uuid4().hex[:12]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
        yield db.with_database(ADMIN_DSN, name)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def pg(database: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await db.connect(database)
    yield connection
    await connection.close()


@pytest.fixture
async def broker_prefix() -> AsyncIterator[str]:
    """Exchange and queue names of the test's own; deleted afterwards."""
    prefix = f"t{uuid4().hex[:10]}"
    yield prefix
    topology = Topology(prefix, SHARD_COUNT)
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        await delete(await connection.channel(), topology)


@pytest.fixture
def topology(broker_prefix: str) -> Topology:
    return Topology(broker_prefix, SHARD_COUNT)


@pytest.fixture
async def amqp_connection() -> AsyncIterator[aio_pika.abc.AbstractConnection]:
    connection = await aio_pika.connect(AMQP_URL)
    yield connection
    await connection.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MORNING)


def _common(database: str, broker_prefix: str) -> dict[str, object]:
    return {
        "database_url": database,
        "amqp_url": AMQP_URL,
        "broker_prefix": broker_prefix,
        "shard_count": SHARD_COUNT,
        "timezone": str(ZONE),
        "cancel_code_secret": "test-cancel-code-secret",
        "_env_file": None,
    }


def kiosk_user(broker_prefix: str) -> str:
    """The broker login of the test's kiosk (created by the tests that need one)."""
    return f"kiosk-{broker_prefix}"


@pytest.fixture
def kiosk_url(broker_prefix: str) -> Iterator[str]:
    """A broker login with exactly the kiosk's rights, for this test's prefix; the allocator makes it booking."""
    user, password = kiosk_user(broker_prefix), uuid4().hex
    apply_with_rabbitmqctl(user, password, "kiosk", broker_prefix)
    yield AMQP_URL.replace("guest:guest", f"{quote(user)}:{password}")
    subprocess.run(["rabbitmqctl", "-q", "delete_user", user], check=False, capture_output=True)


@pytest.fixture
def allocator_settings(database: str, broker_prefix: str) -> AllocatorSettings:
    """The test's services publish as guest (a system login that relays); its kiosk has the booking role."""
    return AllocatorSettings(
        **_common(database, broker_prefix),  # type: ignore[arg-type]
        holder_name="test-allocator",
        broker_users=f"guest:system,{kiosk_user(broker_prefix)}:booking",
    )


# One key per role; the ``api`` fixture calls as admin (which includes staff and booking).
API_KEYS = {role: f"test-{role}-key-{uuid4().hex}" for role in ("admin", "staff", "booking")}


ADMIN_HEADERS = {"X-API-Key": API_KEYS["admin"]}


def key_entries(keys: dict[str, str]) -> str:
    return ",".join(f"{role}-key:{role}:{hashlib.sha256(key.encode()).hexdigest()}" for role, key in keys.items())


@pytest.fixture
def gateway_settings(database: str, broker_prefix: str) -> GatewaySettings:
    return GatewaySettings(
        **_common(database, broker_prefix),  # type: ignore[arg-type]
        rpc_timeout_seconds=5.0,
        api_keys=key_entries(API_KEYS),
        rate_limit_per_key=100_000,
        rate_limit_burst_per_key=100_000,
        rate_limit_per_ip=100_000,
        rate_limit_burst_per_ip=100_000,
    )


@pytest.fixture
def notifier_settings(database: str, broker_prefix: str) -> NotifierSettings:
    return NotifierSettings(**_common(database, broker_prefix))  # type: ignore[arg-type]


@pytest.fixture
async def allocator(allocator_settings: AllocatorSettings, clock: ManualClock) -> AsyncIterator[Running]:
    running = start(lambda stop: run_allocator(allocator_settings, stop, clock))
    yield running
    await running.shutdown()


@pytest.fixture
async def notifier(notifier_settings: NotifierSettings) -> AsyncIterator[Running]:
    running = start(lambda stop: run_notifier(notifier_settings, stop))
    yield running
    await running.shutdown()


@pytest.fixture
async def api(gateway_settings: GatewaySettings, clock: ManualClock) -> AsyncIterator[ApiClient]:
    """The gateway's REST API, served in-process on a random port."""
    client = TestClient(TestServer(create_app(gateway_settings, clock)), headers=ADMIN_HEADERS)
    await client.start_server()
    yield client
    await client.close()
