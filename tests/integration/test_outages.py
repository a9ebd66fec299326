"""Broker and database outages: a clear 503 and nothing published; commands wait in the queue, then resume."""

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import aio_pika
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from allocator.app import run_allocator
from allocator.settings import AllocatorSettings
from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.amqp import serve_connected
from shared.clock import ManualClock
from shared.command_bus import CommandBus
from shared.routing import shard_for
from shared.topology import Topology, declare
from tests.conftest import ADMIN_HEADERS, AMQP_URL
from tests.support.api import ApiClient
from tests.support.commands import book_command, create_doctor_command
from tests.support.proxy import TcpProxy
from tests.support.services import eventually, start


@pytest.fixture
async def broker_proxy() -> AsyncIterator[TcpProxy]:
    target = urlsplit(AMQP_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5672)
    await proxy.start()
    yield proxy
    await proxy.cut()


async def _ready_messages(channel: aio_pika.abc.AbstractChannel, topology: Topology) -> int:
    total = 0
    for shard in range(topology.shard_count):
        declared = await channel.declare_queue(topology.shard_queue(shard), passive=True)
        total += declared.declaration_result.message_count or 0
    return total


async def test_gateway_answers_503_and_publishes_nothing_while_the_broker_is_unreachable(
    gateway_settings: GatewaySettings,
    clock: ManualClock,
    broker_proxy: TcpProxy,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
) -> None:
    proxied = urlsplit(AMQP_URL)._replace(netloc=f"guest:guest@127.0.0.1:{broker_proxy.port}").geturl()
    settings = gateway_settings.model_copy(update={"amqp_url": proxied, "readiness_cache_seconds": 0})
    channel = await amqp_connection.channel()
    await declare(channel, topology)
    async with TestClient(TestServer(create_app(settings, clock)), headers=ADMIN_HEADERS) as api:
        assert (await api.get("/readyz")).status == 200
        await broker_proxy.cut()

        response = await api.post(
            "/api/tokens",
            json={"doctorId": "6f1c1a53-2b0e-4b7e-9d43-1a2b3c4d5e6f", "patientName": "Lost?", "patientAge": 3},
        )
        body = await response.json()
        assert response.status == 503
        assert response.headers["Retry-After"]
        assert body == {
            "success": False,
            "code": "BROKER_UNAVAILABLE",
            "error": "the command service is unavailable; nothing was done",
        }
        not_ready = await api.get("/readyz")
        assert not_ready.status == 503
        assert (await not_ready.json())["checks"]["broker"].startswith(
            f"cannot reach RabbitMQ at 127.0.0.1:{broker_proxy.port} (OPD_AMQP_URL): connection refused."
        )

        await broker_proxy.restore()

        async def ready() -> bool:
            return (await api.get("/readyz")).status == 200

        assert await eventually(ready, timeout=5)
    assert await _ready_messages(channel, topology) == 0


async def test_allocator_keeps_the_command_queued_while_the_database_is_down_then_resumes(
    allocator_settings: AllocatorSettings, clock: ManualClock, topology: Topology, pg: asyncpg.Connection
) -> None:
    target = urlsplit(allocator_settings.database_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5432)
    await proxy.start()
    proxied = target._replace(netloc=f"{target.username}@127.0.0.1:{proxy.port}").geturl()
    settings = allocator_settings.model_copy(update={"database_url": proxied})
    running = start(lambda stop: run_allocator(settings, stop, clock))
    bus = CommandBus(AMQP_URL, topology, "test")
    try:
        doctor = create_doctor_command()
        created = await bus.request(doctor, 10)
        assert created is not None and created.ok

        await proxy.cut()
        command = book_command(doctor.payload.doctor_id, "Patient during outage")
        _, waiting = await bus.publish(command)
        await asyncio.sleep(1.5)
        assert not waiting.done()
        assert await pg.fetchval("SELECT count(*) FROM tokens") == 0

        await proxy.restore()
        reply = await asyncio.wait_for(waiting, 15)
        assert reply.ok
        assert await pg.fetchval("SELECT count(*) FROM tokens WHERE patient_name = 'Patient during outage'") == 1
        shard = shard_for(doctor.payload.doctor_id, topology.shard_count)
        assert await eventually(lambda: pg.fetchval("SELECT count(*) FROM inbox WHERE shard = $1", shard)) == 2
    finally:
        await bus.close()
        await running.shutdown()
        await proxy.cut()


DOCTOR = b'"doctorId": "6f1c1a53-2b0e-4b7e-9d43-1a2b3c4d5e6f"'


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{" + DOCTOR + b', "patientName": "A", ', None),
        (b"{" + DOCTOR + b', "patientName": "A", "patientAge": 3, "x": 1}', "x"),
        (b"{" + DOCTOR + b', "patientName": "A", "patientAge": "old"}', "patientAge"),
        (b'{"doctorId": "not-a-uuid", "patientName": "A", "patientAge": 3}', "doctorId"),
        (b"{" + DOCTOR + b', "patientAge": 3, "source": "vip"}', "patientName"),
        (b"{" + DOCTOR + b', "patientAge": 3, "patientName": "A", "source": "vip"}', "source"),
        (b"[1, 2]", None),
    ],
)
async def test_bad_input_gets_400_with_field_errors_and_publishes_nothing(
    api: ApiClient,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    body: bytes,
    field: str | None,
) -> None:
    response = await api.post("/api/tokens", data=body, headers={"Content-Type": "application/json"})
    answer = await response.json()
    assert response.status == 400
    assert answer["success"] is False
    assert answer["code"] == "INVALID_REQUEST"
    if field is not None:
        assert field in {error["field"] for error in answer["errors"]}
    channel = await amqp_connection.channel()
    await declare(channel, topology)
    assert await _ready_messages(channel, topology) == 0


async def test_allocator_and_relay_recover_after_the_broker_connection_drops(
    allocator_settings: AllocatorSettings,
    clock: ManualClock,
    topology: Topology,
    broker_proxy: TcpProxy,
    pg: asyncpg.Connection,
) -> None:
    proxied = urlsplit(AMQP_URL)._replace(netloc=f"guest:guest@127.0.0.1:{broker_proxy.port}").geturl()
    settings = allocator_settings.model_copy(update={"amqp_url": proxied})
    running = start(lambda stop: run_allocator(settings, stop, clock))
    bus = CommandBus(AMQP_URL, topology, "test")
    try:
        doctor = create_doctor_command()
        created = await bus.request(doctor, 10)
        assert created is not None and created.ok
        await broker_proxy.cut()
        _, waiting = await bus.publish(book_command(doctor.payload.doctor_id, "Across the drop"))
        await asyncio.sleep(1.0)
        assert not waiting.done()
        await broker_proxy.restore()
        reply = await asyncio.wait_for(waiting, 15)
        assert reply.ok
        all_published = "SELECT count(*) >= 2 AND bool_and(published_at IS NOT NULL) FROM outbox"
        assert await eventually(lambda: pg.fetchval(all_published), timeout=15)
        assert not running.task.done()
    finally:
        await bus.close()
        await running.shutdown()


async def test_a_connection_closed_without_a_reason_is_reconnected_and_a_bug_is_not(topology: Topology) -> None:
    """aiormq fails pending work with a bare ``Exception`` when its connection closes without a reason: the
    service reconnects, as after any broker failure. Any other exception still ends it."""
    served: list[int] = []
    stop = asyncio.Event()

    async def serve(connection: aio_pika.abc.AbstractConnection) -> None:
        served.append(len(served))
        if len(served) == 1:
            raise Exception  # as aiormq's pending futures fail
        stop.set()

    await serve_connected(AMQP_URL, "test-bare-exception", topology, serve, stop)
    assert served == [0, 1]

    async def broken(connection: aio_pika.abc.AbstractConnection) -> None:
        raise TypeError("a bug")

    with pytest.RaisesGroup(TypeError):
        await serve_connected(AMQP_URL, "test-bug", topology, broken, asyncio.Event())
