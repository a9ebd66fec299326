"""Behind a reverse proxy: X-Forwarded-For is honoured only from OPD_TRUSTED_PROXIES, and the per-address rate
limit then keys on the real client instead of putting everyone behind the proxy in one bucket."""

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import ValidationError

from gateway.app import create_app
from gateway.client_address import TrustedProxies
from gateway.settings import GatewaySettings
from shared.clock import ManualClock
from tests.support.api import ApiClient

Gateway = Callable[[str], AbstractAsyncContextManager[ApiClient]]


@pytest.fixture
def gateway(gateway_settings: GatewaySettings, clock: ManualClock) -> Gateway:
    """A gateway trusting the given proxies, two anonymous requests per address and nothing more for a while."""

    @asynccontextmanager
    async def started(proxies: str) -> AsyncIterator[ApiClient]:
        settings = gateway_settings.model_copy(
            update={"trusted_proxies": proxies, "rate_limit_per_ip": 0.001, "rate_limit_burst_per_ip": 2}
        )
        async with TestClient(TestServer(create_app(settings, clock))) as client:
            yield client

    return started


async def _statuses(client: ApiClient, forwarded_for: str, count: int) -> list[int]:
    statuses = []
    for _ in range(count):
        response = await client.get("/api/doctors", headers={"X-Forwarded-For": forwarded_for})
        statuses.append(response.status)
    return statuses


async def test_from_a_trusted_proxy_each_client_has_its_own_bucket(gateway: Gateway) -> None:
    async with gateway("127.0.0.1") as client:  # the test client connects from 127.0.0.1: the proxy
        assert await _statuses(client, "203.0.113.1", 3) == [200, 200, 429]
        assert await _statuses(client, "203.0.113.2", 2) == [200, 200]
        # A client claiming an address in front of the real one changes nothing: the proxy appended the real one.
        assert await _statuses(client, "198.51.100.9, 203.0.113.1", 1) == [429]


async def test_from_anyone_else_the_header_is_ignored(gateway: Gateway) -> None:
    async with gateway("10.0.0.0/8") as client:  # 127.0.0.1 is not a proxy here
        assert await _statuses(client, "203.0.113.1", 2) == [200, 200]
        assert await _statuses(client, "203.0.113.2", 1) == [429]  # same bucket: the socket's address


async def test_a_malformed_header_from_a_proxy_is_a_400(gateway: Gateway) -> None:
    async with gateway("127.0.0.1") as client:
        response = await client.get("/api/doctors", headers={"X-Forwarded-For": "not-an-address"})
        assert response.status == 400
        assert (await response.json())["success"] is False


def test_proxies_are_addresses_or_networks() -> None:
    proxies = TrustedProxies(["10.0.0.5", "172.16.0.0/12", "::1"])
    assert proxies.trusts("172.20.1.1") and proxies.trusts("::1") and not proxies.trusts("10.0.0.6")
    with pytest.raises(ValidationError, match=r"'proxy\.internal' is not IPv4 or IPv6 address or network"):
        GatewaySettings(trusted_proxies="10.0.0.5, proxy.internal")
