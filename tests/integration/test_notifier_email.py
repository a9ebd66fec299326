"""The e-mail channel against a real local SMTP server (aiosmtpd)."""

import asyncio
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import aio_pika
import asyncpg
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from notifier.app import run_notifier
from notifier.settings import NotifierSettings
from shared.topology import Topology
from tests.support.notifier import add_doctor, fast, publisher, token_event, token_view
from tests.support.services import eventually, start


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, EmailMessage]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        self.messages.append((envelope, message_from_bytes(content, policy=policy.default)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


async def test_a_patient_with_an_email_address_gets_the_message(
    pg: asyncpg.Connection,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    notifier_settings: NotifierSettings,
    smtp_server: tuple[Inbox, int],
) -> None:
    inbox, port = smtp_server
    doctor_id = await add_doctor(pg, name="Dr. Asha Rao", room="12")
    token = token_view(doctor_id, email="patient@example.org", waitlist_position=2, status="pending")
    settings = fast(notifier_settings, smtp_host="127.0.0.1", smtp_port=port, smtp_from="opd@hospital.test")
    async with publisher(amqp_connection, topology) as publish:
        notifier = start(lambda stop: run_notifier(settings, stop))
        try:
            await publish(token_event("token.waitlisted", token))
            await eventually(lambda: asyncio.sleep(0, inbox.messages))
            await eventually(
                lambda: pg.fetchval("SELECT status = 'delivered' FROM notifications WHERE channel = 'email'")
            )
        finally:
            await notifier.shutdown()
    assert len(inbox.messages) == 1
    envelope, message = inbox.messages[0]
    assert envelope.rcpt_tos == ["patient@example.org"]
    assert message["From"] == "opd@hospital.test"
    assert message["Subject"] == "Your OPD token D1-T001"
    assert message["Content-Language"] == "en"
    body = message.get_content().strip()
    assert body == (
        "Token D1-T001 is number 2 on the waiting list for Dr. Asha Rao (room 12) on Tue, 1 Dec, 9:00 AM-10:00 AM. "
        "We will message you when a seat is free."
    )
