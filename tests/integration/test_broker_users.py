"""The services run under their own broker users, with exactly the rights deploy/broker_access.py gives them."""

import subprocess
from collections.abc import Callable, Iterator
from urllib.parse import quote
from uuid import uuid4

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
from shared.clock import ManualClock
from tests.conftest import ADMIN_HEADERS, AMQP_URL
from tests.integration.test_live_feed import sse
from tests.support.api import book, create_doctor
from tests.support.services import eventually, start


@pytest.fixture
def login_as(broker_prefix: str) -> Iterator[Callable[[str], str]]:
    """An AMQP URL for a fresh user with ``role``'s rights under this test's prefix."""
    users: list[str] = []

    def login(role: str) -> str:
        user, password = f"{role}-{broker_prefix}", uuid4().hex
        apply_with_rabbitmqctl(user, password, role, broker_prefix)
        users.append(user)
        return AMQP_URL.replace("guest:guest", f"{quote(user)}:{password}")

    yield login
    for user in users:
        subprocess.run(["rabbitmqctl", "-q", "delete_user", user], check=False, capture_output=True)


async def test_gateway_allocator_and_notifier_work_with_their_own_users(
    login_as: Callable[[str], str],
    broker_prefix: str,
    allocator_settings: AllocatorSettings,
    notifier_settings: NotifierSettings,
    gateway_settings: GatewaySettings,
    clock: ManualClock,
    pg: asyncpg.Connection,
) -> None:
    # The production role table: the gateway's login relays for its callers, the allocator's ticks as system.
    users = f"gateway-{broker_prefix}:gateway,allocator-{broker_prefix}:system"
    as_allocator = allocator_settings.model_copy(update={"amqp_url": login_as("allocator"), "broker_users": users})
    as_notifier = notifier_settings.model_copy(update={"amqp_url": login_as("notifier")})
    allocator = start(lambda stop: run_allocator(as_allocator, stop, clock))
    notifier = start(lambda stop: run_notifier(as_notifier, stop))
    gateway = create_app(gateway_settings.model_copy(update={"amqp_url": login_as("gateway")}), clock)
    api = TestClient(TestServer(gateway), headers=ADMIN_HEADERS)
    await api.start_server()
    try:
        doctor = await create_doctor(api)
        async with sse(api, f"doctorId={doctor['id']}") as feed:  # the gateway's own feed queue
            await book(api, doctor["id"], "Least Privilege")
            await feed.wait_for("token.confirmed")
        confirmed = "SELECT count(*) FROM notifications WHERE event_type = 'token.confirmed'"
        assert await eventually(lambda: pg.fetchval(confirmed))  # the notifier consumed the event
    finally:
        await api.close()
        await notifier.shutdown()
        await allocator.shutdown()
