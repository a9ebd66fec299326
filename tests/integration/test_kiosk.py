"""Kiosks on the queue: the kiosk client and a non-Python AMQP client, with the kiosk's own least-privilege user."""

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import aio_pika
import asyncpg
import orjson
import pytest
from aiormq.exceptions import ChannelAccessRefused

from allocator.app import run_allocator
from allocator.settings import AllocatorSettings
from deploy.kiosk.client import Kiosk, Refused, RetrySafely
from deploy.kiosk.slip import SlipSettings, token_slip
from shared.clock import ManualClock
from shared.codec import decode_reply, encode
from shared.command_bus import CommandBus
from shared.contracts.commands import CreateDoctor, CreateDoctorPayload
from shared.contracts.values import TokenSource
from shared.routing import shard_for
from shared.topology import REPLY_TO, Topology
from tests.conftest import AMQP_URL, SHARD_COUNT, kiosk_user
from tests.support.commands import WEEK, book_command
from tests.support.services import Running, start


@pytest.fixture
async def doctor_id(topology: Topology, allocator: Running) -> AsyncIterator[UUID]:
    """A doctor with a 09:00-10:00 slot of 2 seats (1 reserved for emergencies) in room 7."""
    bus = CommandBus(AMQP_URL, topology, "test-admin")
    command = CreateDoctor(
        command_id=uuid4(),
        issued_at=datetime.now(UTC),
        source="test",
        payload=CreateDoctorPayload(
            doctor_id=uuid4(),
            name="Dr. Kiosk",
            specialization="ENT",
            room="7",
            time_slots=({"startTime": "09:00", "endTime": "10:00", "maxCapacity": 2, "reservedEmergencySlots": 1},),
            working_days=WEEK,
        ),
    )
    reply = await bus.request(command, 10)
    assert reply is not None and reply.ok
    await bus.close()
    yield command.payload.doctor_id


def _kiosk(url: str, topology: Topology, timeout: float = 10.0) -> Kiosk:
    return Kiosk(url, topology.prefix, topology.shard_count, name="kiosk-test", timeout=timeout)


async def test_the_kiosk_books_and_cancels_with_the_patients_code_but_adds_no_emergency(
    kiosk_url: str, topology: Topology, doctor_id: UUID, pg: asyncpg.Connection
) -> None:
    async with _kiosk(kiosk_url, topology) as kiosk:
        first = await kiosk.book(doctor_id, "Walk In", 40, phone="+91 98200 11111")
        waiting = await kiosk.book(doctor_id, "Second Walk In", 52, source=TokenSource.WALKIN)
        with pytest.raises(Refused) as emergency:
            await kiosk.emergency(doctor_id, "Chest Pain", 61)
        with pytest.raises(Refused) as uncoded:
            await kiosk.cancel(doctor_id, first["token"]["tokenNumber"], reason="went home")
        cancelled = await kiosk.cancel(
            doctor_id, first["token"]["tokenNumber"], reason="went home", cancel_code=first["cancelCode"]
        )

    assert first["token"]["status"] == "confirmed" and first["token"]["position"] == 1
    assert first["statusPage"].startswith("/t/") and first["statusPage"] != waiting["statusPage"]  # for the slip
    assert waiting["token"]["status"] == "pending" and waiting["token"]["waitlistPosition"] == 1
    assert emergency.value.error.code == "FORBIDDEN" and "staff" in emergency.value.error.message
    assert uncoded.value.error.code == "FORBIDDEN" and "cancel code" in uncoded.value.error.message
    assert cancelled["token"]["status"] == "cancelled" and cancelled["seatFreed"]
    promoted = await pg.fetchval("SELECT status FROM tokens WHERE patient_name = 'Second Walk In'")
    assert promoted == "confirmed"  # the freed seat went to the waiting walk-in

    slip = token_slip(first, SlipSettings(ZoneInfo("Asia/Kolkata")))
    for expected in (first["token"]["tokenNumber"], "Dr. Kiosk, ENT", "Room         7", "9:00 AM-10:00 AM", "Position"):
        assert expected in slip


async def test_a_refusal_is_an_error_with_the_reason(kiosk_url: str, topology: Topology, doctor_id: UUID) -> None:
    async with _kiosk(kiosk_url, topology) as kiosk:
        await kiosk.book(doctor_id, "Once Only", 30, phone="+91 98200 22222")
        with pytest.raises(Refused) as refused:
            await kiosk.book(doctor_id, "Once Only", 30, phone="+91 98200 22222")
        with pytest.raises(Refused) as unknown:
            await kiosk.book(uuid4(), "Nobody's Patient", 30)
    assert refused.value.error.code == "DUPLICATE_TOKEN"
    assert unknown.value.error.code == "DOCTOR_NOT_FOUND"


async def test_no_answer_in_time_is_safe_to_retry_with_the_same_command_id(
    kiosk_url: str,
    topology: Topology,
    allocator_settings: AllocatorSettings,
    clock: ManualClock,
    pg: asyncpg.Connection,
) -> None:
    running = start(lambda stop: run_allocator(allocator_settings, stop, clock))
    doctor = uuid4()
    admin = CommandBus(AMQP_URL, topology, "test-admin")
    create = CreateDoctor(
        command_id=uuid4(),
        issued_at=datetime.now(UTC),
        source="test",
        payload=CreateDoctorPayload(
            doctor_id=doctor,
            name="Dr. Slow",
            specialization="ENT",
            time_slots=({"startTime": "09:00", "endTime": "10:00", "maxCapacity": 5},),
            working_days=WEEK,
        ),
    )
    assert (await admin.request(create, 10)).ok  # type: ignore[union-attr]
    await admin.close()
    await running.shutdown()  # the allocator is down: the kiosk's command waits in its queue

    async with _kiosk(kiosk_url, topology, timeout=0.5) as kiosk:
        with pytest.raises(RetrySafely) as unknown:
            await kiosk.book(doctor, "Patient Waiting", 45)
    running = start(lambda stop: run_allocator(allocator_settings, stop, clock))
    try:
        async with _kiosk(kiosk_url, topology) as kiosk:
            retried = await kiosk.book(doctor, "Patient Waiting", 45, command_id=unknown.value.command_id)
    finally:
        await running.shutdown()

    assert str(unknown.value.command_id) in str(unknown.value)
    assert retried["token"]["status"] == "confirmed"
    assert await pg.fetchval("SELECT count(*) FROM tokens WHERE patient_name = 'Patient Waiting'") == 1


async def test_the_kiosk_user_may_only_publish_commands(kiosk_url: str, topology: Topology, doctor_id: UUID) -> None:
    connection = await aio_pika.connect(kiosk_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        events = await channel.get_exchange(topology.events_exchange, ensure=False)
        with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
            await events.publish(aio_pika.Message(b"{}"), routing_key="token.confirmed")

        channel = await connection.channel()
        other = await channel.get_queue(topology.shard_queue(0), ensure=False)
        with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
            await other.consume(_ignore)

        channel = await connection.channel()
        with pytest.raises(ChannelAccessRefused, match="ACCESS_REFUSED"):
            await channel.declare_queue(f"{topology.prefix}.kiosk-own-queue")


@pytest.fixture(scope="session")
def amqp_publish() -> str:
    """Debian's amqp-tools: a kiosk written in C. Installed when missing."""
    if shutil.which("amqp-publish") is None:
        subprocess.run(["apt-get", "install", "-y", "-q", "amqp-tools"], check=False, capture_output=True)
    path = shutil.which("amqp-publish")
    if path is None:
        pytest.fail("amqp-publish is missing and could not be installed (apt-get install amqp-tools)")
    return path


async def test_a_command_from_amqp_tools_asking_for_answers_in_its_own_queue_is_refused(
    amqp_publish: str,
    kiosk_url: str,
    topology: Topology,
    doctor_id: UUID,
    amqp_connection: aio_pika.abc.AbstractConnection,
    pg: asyncpg.Connection,
) -> None:
    """amqp-tools can neither consume direct reply-to nor set user_id, so it asks for its answer in a queue of its
    choosing: refused, parked with the reason, and nothing is posted to that queue (the missing user_id is
    test_authority's)."""
    channel = await amqp_connection.channel()
    replies = await channel.declare_queue(f"{topology.prefix}.amqp-tools-replies", exclusive=True)
    shard = shard_for(doctor_id, SHARD_COUNT)
    process = await asyncio.create_subprocess_exec(
        amqp_publish,
        f"--url={kiosk_url.rstrip('/')}",  # amqp-tools reads a trailing "/" as the empty vhost
        f"--exchange={topology.commands_exchange}",
        f"--routing-key={topology.shard_routing_key(shard)}",
        "--persistent",
        "--content-type=application/json",
        f"--reply-to={replies.name}",
        f"--body={encode(book_command(doctor_id, 'Named Queue')).decode()}",
    )
    assert await process.wait() == 0

    parked = await _next(await channel.get_queue(topology.commands_dlq))
    assert parked.headers["x-opd-error-code"] == "INVALID_REPLY_TO"
    assert replies.name in str(parked.headers["x-opd-error"])
    await asyncio.sleep(0.5)
    assert await replies.get(fail=False) is None  # nothing was posted into the queue it named
    assert await pg.fetchval("SELECT count(*) FROM tokens") == 0


async def _ignore(message: aio_pika.abc.AbstractIncomingMessage) -> None:
    """A consumer that is never meant to receive anything."""


async def _next(queue: aio_pika.abc.AbstractQueue, timeout: float = 10.0) -> aio_pika.abc.AbstractIncomingMessage:
    async with queue.iterator(timeout=timeout) as messages:
        async for message in messages:
            await message.ack()
            return message
    raise AssertionError("no reply")


async def test_each_kind_of_bad_message_is_dead_lettered_with_its_reason_while_the_shard_serves_on(
    kiosk_url: str,
    topology: Topology,
    doctor_id: UUID,
    amqp_connection: aio_pika.abc.AbstractConnection,
    pg: asyncpg.Connection,
) -> None:
    valid = book_command(doctor_id, "Valid Patient")
    body = orjson.loads(encode(book_command(doctor_id, "Bad Patient")))
    unknown_type = {**body, "type": "Teleport"}
    future_version = {**body, "schemaVersion": 2}
    missing_fields = {**body, "payload": {"doctorId": str(doctor_id)}}
    bad = {
        "malformed JSON": (b'{"type": "BookToken", "payload": ', "INVALID_COMMAND"),
        "unknown type": (orjson.dumps(unknown_type), "UNKNOWN_COMMAND_TYPE"),
        "unsupported version": (orjson.dumps(future_version), "UNSUPPORTED_SCHEMA_VERSION"),
        "missing fields": (orjson.dumps(missing_fields), "INVALID_COMMAND"),
    }
    connection = await aio_pika.connect(kiosk_url)
    async with connection:
        channel = await connection.channel(publisher_confirms=True)
        answers: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
        await (await channel.declare_queue(REPLY_TO, passive=True)).consume(answers.put, no_ack=True)
        exchange = await channel.get_exchange(topology.commands_exchange, ensure=False)
        key = topology.shard_routing_key(shard_for(doctor_id, SHARD_COUNT))
        user = kiosk_user(topology.prefix)
        for name, (payload, _) in bad.items():
            await exchange.publish(aio_pika.Message(payload, reply_to=REPLY_TO, correlation_id=name, user_id=user), key)
        await exchange.publish(aio_pika.Message(encode(valid), user_id=user), key)  # no reply_to: nobody would hear
        await exchange.publish(
            aio_pika.Message(encode(valid), reply_to=REPLY_TO, correlation_id="valid", user_id=user), key
        )

        replies = {}
        for _ in range(len(bad) + 1):
            message = await asyncio.wait_for(answers.get(), 10)
            replies[message.correlation_id] = decode_reply(message.body)

    assert replies["valid"].ok  # the same command id, resent with a reply_to, is served
    for name, (_, code) in bad.items():
        assert not replies[name].ok and replies[name].error.code == code, name  # type: ignore[union-attr]
    missing = replies["missing fields"].error.details["errors"]  # type: ignore[union-attr]
    assert {"payload.patientName", "payload.patientAge"} <= {error["field"] for error in missing}

    dlq = await (await amqp_connection.channel()).get_queue(topology.commands_dlq)
    parked = [await dlq.get(timeout=5) for _ in range(len(bad) + 1)]
    codes = sorted(str(message.headers["x-opd-error-code"]) for message in parked)
    assert codes == sorted([code for _, code in bad.values()] + ["MISSING_REPLY_TO"])
    assert all(message.headers["x-opd-error"] for message in parked)
    assert await pg.fetchval("SELECT count(*) FROM tokens WHERE patient_name = 'Valid Patient'") == 1
    assert await pg.fetchval("SELECT count(*) FROM tokens WHERE patient_name = 'Bad Patient'") == 0
