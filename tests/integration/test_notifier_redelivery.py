"""At-least-once, seen from the notifier: it records an event and its message goes out, but its ack is lost with
the broker connection, so the broker hands the same event over again. The patient is told once."""

from urllib.parse import urlsplit

import aio_pika
import asyncpg

from notifier.settings import NotifierSettings
from shared.topology import Topology
from tests.conftest import AMQP_URL
from tests.support.notifier import (
    add_doctor,
    consumers,
    fast,
    log_held,
    notifier_consuming,
    publisher,
    ready_messages,
    recording_waits,
    token_event,
    token_view,
    webhook_receiver,
)
from tests.support.proxy import TcpProxy
from tests.support.services import eventually

DELIVERED = "SELECT status = 'delivered' FROM notifications WHERE event_id = $1 AND channel = 'webhook'"


async def test_an_event_redelivered_after_its_message_went_out_is_not_sent_again(
    pg: asyncpg.Connection,
    database: str,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    notifier_settings: NotifierSettings,
) -> None:
    doctor_id = await add_doctor(pg)
    token = token_view(doctor_id, phone="+919800000003")
    event, follow_up = token_event("token.up_next", token, 1), token_event("token.called", token, 2)
    target = urlsplit(AMQP_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5672)
    await proxy.start()
    via_proxy = target._replace(netloc=f"{target.username}:{target.password}@127.0.0.1:{proxy.port}").geturl()
    channel = await amqp_connection.channel()
    try:
        async with webhook_receiver() as receiver, publisher(amqp_connection, topology) as publish:
            settings = fast(notifier_settings, amqp_url=via_proxy, webhook_url=receiver.url)
            async with notifier_consuming(settings, channel, topology):
                async with log_held(database):  # the notifier has the event and waits to record it
                    await publish(event)
                    await eventually(lambda: recording_waits(pg))
                    await proxy.cut()  # so the ack it sends once it has committed never reaches the broker
                await eventually(lambda: pg.fetchval(DELIVERED, event.event_id))
                assert await eventually(lambda: ready_messages(channel, topology.notifier_queue)) == 1  # unacked

                await proxy.restore()  # the notifier reconnects and gets the event again, then the next one
                await eventually(lambda: consumers(channel, topology.notifier_queue))
                await publish(follow_up)
                await eventually(lambda: pg.fetchval(DELIVERED, follow_up.event_id))
            assert await ready_messages(channel, topology.notifier_queue) == 0
    finally:
        await proxy.cut()

    assert [message.body["eventId"] for message in receiver.received] == [str(event.event_id), str(follow_up.event_id)]
    rows = await pg.fetch("SELECT event_id, status, attempts FROM notifications WHERE channel = 'webhook' ORDER BY id")
    assert [(r["event_id"], r["status"], r["attempts"]) for r in rows] == [
        (event.event_id, "delivered", 1),
        (follow_up.event_id, "delivered", 1),
    ]
