"""Delivery guarantees: ETA updates are coalesced; a notifier killed mid-delivery resumes the message."""

import asyncio
from datetime import UTC, datetime, timedelta

import aio_pika
import asyncpg

from notifier.app import run_notifier
from notifier.settings import NotifierSettings
from shared.contracts.reasons import ReasonCode
from shared.topology import Topology
from tests.support.notifier import add_doctor, fast, publisher, token_event, token_view, webhook_receiver
from tests.support.services import eventually, start

NINE = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)  # 09:00 in Kolkata


async def test_eta_updates_to_one_patient_are_coalesced_within_the_window(
    pg: asyncpg.Connection,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    notifier_settings: NotifierSettings,
) -> None:
    doctor_id = await add_doctor(pg)
    base = token_view(doctor_id, phone="+919800000005")
    etas = [base.model_copy(update={"estimated_time": NINE + timedelta(minutes=m)}) for m in (10, 20, 30)]
    events = [
        token_event("token.eta_changed", token, n, reason="queue moved", code=ReasonCode.QUEUE_CHANGED)
        for n, token in enumerate(etas, 1)
    ]
    async with webhook_receiver() as receiver, publisher(amqp_connection, topology) as publish:
        settings = fast(notifier_settings, webhook_url=receiver.url, eta_coalesce_seconds=1.0)
        notifier = start(lambda stop: run_notifier(settings, stop))
        try:
            await publish(events[0])
            await eventually(lambda: asyncio.sleep(0, receiver.received))
            await publish(events[1])
            await publish(events[2])
            await eventually(lambda: asyncio.sleep(0, len(receiver.received) == 2), timeout=5)
            await asyncio.sleep(0.3)
        finally:
            await notifier.shutdown()
    assert [m.body["text"] for m in receiver.received] == [
        "Token D1-T001: your expected time on Tue, 1 Dec is now 9:10 AM. The queue has changed.",
        "Token D1-T001: your expected time on Tue, 1 Dec is now 9:30 AM. The queue has changed.",
    ]
    assert receiver.received[1].at - receiver.received[0].at >= 0.9  # waited for the window
    rows = await pg.fetch(
        "SELECT event_id, status, superseded_by IS NOT NULL AS replaced FROM notifications "
        "WHERE channel = 'webhook' ORDER BY id"
    )
    assert [(r["event_id"], r["status"], r["replaced"]) for r in rows] == [
        (events[0].event_id, "delivered", False),
        (events[1].event_id, "superseded", True),
        (events[2].event_id, "delivered", False),
    ]


async def test_a_notifier_killed_mid_delivery_resumes_it_at_start(
    pg: asyncpg.Connection,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    notifier_settings: NotifierSettings,
) -> None:
    doctor_id = await add_doctor(pg)
    token = token_view(doctor_id, phone="+919800000006")
    event = token_event("token.promoted", token, reason="a seat freed up")
    async with webhook_receiver() as receiver, publisher(amqp_connection, topology) as publish:
        settings = fast(notifier_settings, webhook_url=receiver.url, delivery_lease_seconds=60.0)
        receiver.hang = True  # the gateway takes the request and never answers while we kill the notifier
        first = start(lambda stop: run_notifier(settings, stop))
        await publish(event)
        await eventually(lambda: asyncio.sleep(0, receiver.received))
        first.task.cancel()  # killed: no drain, no outcome recorded
        await asyncio.gather(first.task, return_exceptions=True)
        claimed = await pg.fetchrow(
            "SELECT status, claimed_until > now() AS held FROM notifications WHERE channel = 'webhook'"
        )
        assert (claimed["status"], claimed["held"]) == ("pending", True)

        receiver.hang = False
        receiver.release.set()
        second = start(lambda stop: run_notifier(settings, stop))
        try:  # resumed at once, not after the 60 s lease
            await eventually(
                lambda: pg.fetchval("SELECT status = 'delivered' FROM notifications WHERE channel = 'webhook'"),
                timeout=5,
            )
            await asyncio.sleep(0.2)
        finally:
            await second.shutdown()
    assert [m.body["eventId"] for m in receiver.received] == [str(event.event_id)] * 2
    attempts = await pg.fetch(
        "SELECT a.attempt, a.outcome FROM delivery_attempts a JOIN notifications n ON n.id = a.notification_id "
        "WHERE n.channel = 'webhook' ORDER BY a.attempt"
    )
    assert [(a["attempt"], a["outcome"]) for a in attempts] == [(1, "interrupted"), (2, "delivered")]
