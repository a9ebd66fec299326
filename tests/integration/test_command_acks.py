"""The allocator acks committed commands together, a little after commit (``OPD_COMMAND_ACK_LINGER_MS``): an ack
still waiting when the connection dies only means the commands come again, answered with their first outcome.

The clock's ticks are slowed down here: a tick committed just before a cut would come back too."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import urlsplit

import aio_pika
import asyncpg
import pytest

from allocator.app import run_allocator
from allocator.settings import AllocatorSettings
from shared.clock import ManualClock
from shared.command_bus import CommandBus
from shared.routing import shard_for
from shared.topology import Topology
from tests.conftest import AMQP_URL
from tests.support.commands import book_command, create_doctor_command
from tests.support.notifier import consumers, ready_messages
from tests.support.proxy import TcpProxy
from tests.support.services import eventually, start


@asynccontextmanager
async def allocator_behind(proxy: TcpProxy, settings: AllocatorSettings, clock: ManualClock) -> AsyncIterator[None]:
    """An allocator whose broker connection runs through ``proxy``, so that a test can cut it."""
    target = urlsplit(AMQP_URL)
    via_proxy = target._replace(netloc=f"{target.username}:{target.password}@127.0.0.1:{proxy.port}").geturl()
    running = start(lambda stop: run_allocator(settings.model_copy(update={"amqp_url": via_proxy}), stop, clock))
    try:
        yield
    finally:
        await running.shutdown()


@asynccontextmanager
async def cuttable_broker() -> AsyncIterator[TcpProxy]:
    target = urlsplit(AMQP_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5672)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.cut()


@pytest.fixture
async def bus(topology: Topology) -> AsyncIterator[CommandBus]:
    command_bus = CommandBus(AMQP_URL, topology, "test")
    yield command_bus
    await command_bus.close()


@pytest.fixture
async def channel(amqp_connection: aio_pika.abc.AbstractConnection) -> aio_pika.abc.AbstractChannel:
    return await amqp_connection.channel()


async def test_commands_whose_ack_was_still_lingering_come_back_and_are_answered_not_applied_again(
    topology: Topology,
    allocator_settings: AllocatorSettings,
    clock: ManualClock,
    pg: asyncpg.Connection,
    bus: CommandBus,
    channel: aio_pika.abc.AbstractChannel,
) -> None:
    doctor = create_doctor_command()
    queue = topology.shard_queue(shard_for(doctor.payload.doctor_id, topology.shard_count))
    booking = book_command(doctor.payload.doctor_id, "Lingering")
    slow_acks = allocator_settings.model_copy(update={"command_ack_linger_ms": 1000, "tick_seconds": 3600})
    async with cuttable_broker() as proxy, allocator_behind(proxy, slow_acks, clock):
        created = await bus.request(doctor, 5)
        assert created is not None and created.ok
        first = await bus.request(booking, 5)
        assert first is not None and first.ok
        await proxy.cut()  # both are committed and answered (with the first tick); their ack is still waiting
        assert await eventually(lambda: ready_messages(channel, queue)) >= 2

        await proxy.restore()  # the allocator reconnects and gets both again
        await eventually(lambda: consumers(channel, queue))
        assert await eventually(lambda: _drained(channel, queue))
        again = await bus.request(booking, 5)  # the patient's desk retries: the same answer

    assert again == first
    assert await pg.fetchval("SELECT count(*) FROM tokens WHERE patient_name = 'Lingering'") == 1
    assert await pg.fetchval("SELECT count(*) FROM doctors") == 1
    assert await pg.fetchval("SELECT count(*) FROM outbox WHERE routing_key = 'token.confirmed'") == 1


async def test_a_lingering_ack_goes_out_on_its_own_without_waiting_for_more_commands(
    topology: Topology,
    allocator_settings: AllocatorSettings,
    clock: ManualClock,
    bus: CommandBus,
    channel: aio_pika.abc.AbstractChannel,
) -> None:
    doctor = create_doctor_command()
    queue = topology.shard_queue(shard_for(doctor.payload.doctor_id, topology.shard_count))
    lingering = allocator_settings.model_copy(update={"command_ack_linger_ms": 100, "tick_seconds": 3600})
    async with cuttable_broker() as proxy, allocator_behind(proxy, lingering, clock):
        created = await bus.request(doctor, 5)
        assert created is not None and created.ok
        alone = await bus.request(book_command(doctor.payload.doctor_id, "Alone"), 5)
        assert alone is not None and alone.ok
        await asyncio.sleep(0.5)  # well past the linger, and no command after it
        await proxy.cut()
        await eventually(lambda: _no_consumer(channel, queue))
        assert await ready_messages(channel, queue) == 0  # acked: nothing came back


async def _drained(channel: aio_pika.abc.AbstractChannel, queue: str) -> bool:
    return await ready_messages(channel, queue) == 0


async def _no_consumer(channel: aio_pika.abc.AbstractChannel, queue: str) -> bool:
    return await consumers(channel, queue) == 0
