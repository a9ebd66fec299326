"""The webhook channel against a real local HTTP receiver: signed, retried with backoff, dead-lettered, redriven."""

import asyncio

import aio_pika
import asyncpg

from notifier.app import run_notifier
from notifier.redrive import redrive
from notifier.settings import NotifierSettings
from shared import db
from shared.topology import Topology
from tests.support.notifier import add_doctor, fast, publisher, token_event, token_view, webhook_receiver
from tests.support.services import eventually, start


async def _status(pg: asyncpg.Connection, channel: str) -> str | None:
    return await pg.fetchval("SELECT status FROM notifications WHERE channel = $1", channel)  # type: ignore[no-any-return]


async def test_a_patient_with_a_phone_gets_a_signed_message_once(
    pg: asyncpg.Connection,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    notifier_settings: NotifierSettings,
) -> None:
    doctor_id = await add_doctor(pg, name="Dr. Asha Rao", room="12")
    token = token_view(doctor_id, phone="+919800000001")
    event = token_event("token.called", token)
    async with webhook_receiver() as receiver, publisher(amqp_connection, topology) as publish:
        notifier = start(lambda stop: run_notifier(fast(notifier_settings, webhook_url=receiver.url), stop))
        try:
            for _ in range(2):  # at-least-once: the replayed event is not sent again
                await publish(event)
            await eventually(lambda: _status(pg, "webhook"))
            await eventually(lambda: pg.fetchval("SELECT count(*) = 2 FROM notifications WHERE status = 'delivered'"))
            await asyncio.sleep(0.3)
        finally:
            await notifier.shutdown()
    assert len(receiver.received) == 1
    message = receiver.received[0]
    assert message.verifies()
    assert message.body["to"] == "+919800000001"
    assert message.body["tokenNumber"] == token.token_number
    assert message.body["eventId"] == str(event.event_id)
    assert message.body["language"] == "en"
    assert message.body["text"] == "Token D1-T001: please go in to Dr. Asha Rao (room 12) now."
    attempts = await pg.fetch("SELECT attempt, outcome FROM delivery_attempts ORDER BY notification_id, attempt")
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [(1, "delivered"), (1, "delivered")]


async def test_failures_are_retried_with_backoff_then_dead_then_redriven(
    pg: asyncpg.Connection,
    database: str,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    notifier_settings: NotifierSettings,
) -> None:
    doctor_id = await add_doctor(pg)
    token = token_view(doctor_id, phone="+919800000002")
    async with webhook_receiver() as receiver, publisher(amqp_connection, topology) as publish:
        receiver.status = 500
        notifier = start(lambda stop: run_notifier(fast(notifier_settings, webhook_url=receiver.url), stop))
        pool = await db.create_pool(database, max_size=2)
        try:
            await publish(token_event("token.confirmed", token))
            assert await eventually(lambda: _status(pg, "webhook")) in {"pending", "dead"}
            await eventually(lambda: pg.fetchval("SELECT status = 'dead' FROM notifications WHERE channel = 'webhook'"))
            assert len(receiver.received) == 3  # delivery_max_attempts
            gaps = [b.at - a.at for a, b in zip(receiver.received, receiver.received[1:], strict=False)]
            assert gaps[0] >= 0.05 and gaps[1] >= 0.1  # 0.1·2^(n-1), jittered to [½, 1]
            dead = await pg.fetchrow("SELECT id, attempts, last_error FROM notifications WHERE channel = 'webhook'")
            assert dead["attempts"] == 3 and "HTTP 500" in dead["last_error"]

            receiver.status = 200
            assert await redrive(pool, None) == [dead["id"]]
            await eventually(
                lambda: pg.fetchval("SELECT status = 'delivered' FROM notifications WHERE channel = 'webhook'")
            )
        finally:
            await pool.close()
            await notifier.shutdown()
    attempts = await pg.fetch(
        "SELECT attempt, outcome, error FROM delivery_attempts WHERE notification_id = $1 ORDER BY attempt", dead["id"]
    )
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [
        (1, "failed"),
        (2, "failed"),
        (3, "failed"),
        (4, "delivered"),
    ]
    assert all("HTTP 500" in a["error"] for a in attempts[:3])
    assert len(receiver.received) == 4
    assert all(message.verifies() for message in receiver.received)


async def test_a_hindi_speaking_patient_is_told_in_hindi(
    pg: asyncpg.Connection,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    notifier_settings: NotifierSettings,
) -> None:
    doctor_id = await add_doctor(pg, name="डॉ. आशा राव", room="12")
    hindi = token_view(doctor_id, phone="+919800000003", language="hi")
    english = token_view(doctor_id, phone="+919800000004", token_number="D1-20261201-T002", short_number="T002")
    async with webhook_receiver() as receiver, publisher(amqp_connection, topology) as publish:
        notifier = start(lambda stop: run_notifier(fast(notifier_settings, webhook_url=receiver.url), stop))
        try:
            await publish(token_event("token.up_next", hindi))
            await publish(token_event("token.up_next", english))
            await eventually(lambda: asyncio.sleep(0, len(receiver.received) == 2))
        finally:
            await notifier.shutdown()
    by_phone = {message.body["to"]: message.body for message in receiver.received}
    assert by_phone["+919800000003"]["language"] == "hi"
    assert by_phone["+919800000003"]["text"] == (
        "टोकन D1-T001: डॉ. आशा राव (कमरा 12) के पास अगली बारी आपकी है। कृपया तैयार रहें।"
    )
    assert (
        by_phone["+919800000004"]["text"] == "Token D1-T002: you are next for डॉ. आशा राव (room 12). Please be ready."
    )
