"""Notifier test kit: token events, publishing them, a real webhook receiver, a notifier with fast retries."""

import asyncio
import hashlib
import hmac
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import aio_pika
import asyncpg
from aiohttp import web

from notifier.app import run_notifier
from notifier.settings import NotifierSettings
from shared import db
from shared.amqp import persistent
from shared.codec import encode
from shared.contracts.events import EVENT_ADAPTER, Event, TokenPayload
from shared.contracts.reasons import ReasonCode, ReasonParams
from shared.contracts.views import TokenView
from shared.topology import Topology, declare
from tests.support.services import eventually, start

SECRET = "test-secret"


def token_view(doctor_id: UUID, **overrides: Any) -> TokenView:
    fields: dict[str, Any] = {
        "id": uuid4(),
        "token_number": "D1-20261201-T001",
        "short_number": "T001",
        "patient_name": "Patient",
        "patient_age": 30,
        "doctor_id": doctor_id,
        "slot_id": uuid4(),
        "date": date(2026, 12, 1),
        "time_slot": "09:00-10:00",
        "source": "walkin",
        "priority": 5,
        "status": "confirmed",
        "is_emergency": False,
        "created_at": datetime.now(UTC),
        **overrides,
    }
    return TokenView.model_validate(fields)


def token_event(
    event_type: str,
    token: TokenView,
    sequence: int = 1,
    reason: str | None = None,
    code: ReasonCode | None = None,
    params: ReasonParams | None = None,
) -> Event:
    return EVENT_ADAPTER.validate_python(
        {
            "type": event_type,
            "event_id": uuid4(),
            "occurred_at": datetime.now(UTC),
            "doctor_id": token.doctor_id,
            "sequence": sequence,
            "payload": TokenPayload(token=token, reason=reason, reason_code=code, reason_params=params or {}),
        }
    )


async def add_doctor(pg: asyncpg.Connection, name: str = "Dr. Asha Rao", room: str | None = "12") -> UUID:
    doctor_id = uuid4()
    await pg.execute(
        "INSERT INTO doctors (id, code, name, specialization, room, working_days) VALUES ($1, $2, $3, $4, $5, $6)",
        doctor_id,
        f"D{uuid4().hex[:6]}",
        name,
        "Cardiology",
        room,
        ["Tuesday"],
    )
    return doctor_id


class Publisher:
    def __init__(self, exchange: aio_pika.abc.AbstractExchange) -> None:
        self.exchange = exchange

    async def __call__(self, event: Event) -> None:
        await self.raw(encode(event), event.type, str(event.event_id))

    async def raw(self, body: bytes, routing_key: str, message_id: str) -> None:
        await self.exchange.publish(persistent(body, message_id=message_id), routing_key=routing_key)


@asynccontextmanager
async def publisher(amqp_connection: aio_pika.abc.AbstractConnection, topology: Topology) -> AsyncIterator[Publisher]:
    channel = await amqp_connection.channel(publisher_confirms=True)
    await declare(channel, topology)
    yield Publisher(await channel.get_exchange(topology.events_exchange))
    await channel.close()


async def ready_messages(channel: aio_pika.abc.AbstractChannel, queue: str) -> int:
    return (await channel.declare_queue(queue, passive=True)).declaration_result.message_count or 0


async def consumers(channel: aio_pika.abc.AbstractChannel, queue: str) -> int:
    return (await channel.declare_queue(queue, passive=True)).declaration_result.consumer_count or 0


@asynccontextmanager
async def notifier_consuming(
    settings: NotifierSettings, channel: aio_pika.abc.AbstractChannel, topology: Topology
) -> AsyncIterator[None]:
    """A notifier running in the test's loop, subscribed to its queue (declared beforehand)."""
    running = start(lambda stop: run_notifier(settings, stop))
    try:
        await eventually(lambda: consumers(channel, topology.notifier_queue))
        yield
    finally:
        await running.shutdown()


@asynccontextmanager
async def log_held(database: str) -> AsyncIterator[asyncpg.Connection]:
    """Hold every write to the delivery log (a table lock) until the block ends: a notifier recording an event
    waits, and the messages it receives meanwhile wait in its buffer, to be recorded next as one batch."""
    connection = await db.connect(database)
    try:
        async with connection.transaction():
            await connection.execute("LOCK TABLE notifications IN SHARE MODE")
            yield connection
    finally:
        await connection.close()


async def recording_waits(pg: asyncpg.Connection) -> bool:
    """Whether the consumer's insert into the delivery log waits for a lock (see ``log_held``)."""
    return bool(
        await pg.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE '%INSERT INTO notifications%'"
        )
    )


@dataclass
class Received:
    body: dict[str, Any]
    signature: str
    raw: bytes
    at: float

    def verifies(self, secret: str = SECRET) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.raw, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.signature)


@dataclass
class Receiver:
    """A real HTTP endpoint standing in for an SMS/WhatsApp gateway: answers ``status``, or hangs."""

    url: str = ""
    status: int = 200
    hang: bool = False
    received: list[Received] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        loop = asyncio.get_running_loop()
        self.received.append(
            Received(await request.json(), request.headers.get("X-OPD-Signature", ""), raw, loop.time())
        )
        if self.hang:
            await self.release.wait()
        return web.Response(status=self.status, text="ok" if self.status < 300 else "boom")


@asynccontextmanager
async def webhook_receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    receiver.url = f"http://127.0.0.1:{port}/hook"
    try:
        yield receiver
    finally:
        receiver.release.set()
        await runner.cleanup()


def fast(settings: NotifierSettings, **overrides: Any) -> NotifierSettings:
    """The test's notifier settings with small retry delays and a short poll."""
    return settings.model_copy(
        update={
            "webhook_secret": SECRET,
            "webhook_timeout_seconds": 2.0,
            "delivery_max_attempts": 3,
            "delivery_backoff_initial_seconds": 0.1,
            "delivery_backoff_max_seconds": 0.4,
            "delivery_poll_seconds": 0.05,
            "eta_coalesce_seconds": 0.0,
            "instance_name": "test-notifier",
            **overrides,
        }
    )
