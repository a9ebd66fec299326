"""No log line names a patient: a booking and its cancellation run through the real gateway, allocator and notifier
(whose webhook and SMTP server refuse, quoting the recipient and the text back), and no captured record, formatted
as the services write it, contains the patient's name, phone or e-mail."""

import logging
import socket
from collections.abc import AsyncIterator, Iterator
from uuid import UUID

import asyncpg
import pytest
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from notifier.settings import NotifierSettings
from shared import log_context
from shared.lifecycle import JsonFormatter
from tests.support.api import ApiClient, book, create_doctor
from tests.support.notifier import fast
from tests.support.services import Running, eventually

NAME = "Zephyrine Quillfeather"
PHONE = "+91 90000 13579"
EMAIL = "zephyrine.q@example.org"
SECRETS = ("zephyrine", "quillfeather", "90000 13579", "9000013579", EMAIL)
STAND_INS = {"mail.log"}  # the test's SMTP server (aiosmtpd) playing the patient's mail relay


class RefusingInbox:
    """An SMTP server that refuses every recipient, quoting the address in its answer."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected"


async def _echo_refusal(request: web.Request) -> web.Response:
    """A webhook receiver that refuses the message and quotes it back (phone and text)."""
    return web.Response(status=400, text=await request.text())


@pytest.fixture
def smtp_port() -> Iterator[int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    controller = Controller(RefusingInbox(), hostname="127.0.0.1", port=port)
    controller.start()
    yield port
    controller.stop()


@pytest.fixture
async def webhook_url() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/hook", _echo_refusal)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/hook"
    await runner.cleanup()


@pytest.fixture
def notifier_settings(notifier_settings: NotifierSettings, webhook_url: str, smtp_port: int) -> NotifierSettings:
    return fast(notifier_settings, webhook_url=webhook_url, smtp_host="127.0.0.1", smtp_port=smtp_port)


@pytest.fixture
def captured(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every record at DEBUG, with the context ids stamped as in production; the libraries as quiet as there."""
    undo = log_context.stamp_records()
    for library in ("aiormq", "aio_pika"):  # as configure_logging sets them
        caplog.set_level(logging.WARNING, logger=library)
    caplog.set_level(logging.DEBUG)  # last: it also sets the capturing handler's level
    yield caplog
    undo()


async def test_logs_never_contain_a_patients_name_phone_or_email(
    api: ApiClient,
    allocator: Running,
    notifier: Running,
    pg: asyncpg.Connection,
    captured: pytest.LogCaptureFixture,
) -> None:
    doctor = await create_doctor(api)
    booked = await book(api, doctor["id"], NAME, phone=PHONE, email=EMAIL, language="en")
    token_id = UUID(booked["token"]["id"])
    cancelled = await api.put(f"/api/tokens/{token_id}/cancel", json={"reason": f"{NAME} went home"})
    assert cancelled.status == 200, await cancelled.text()

    async def settled() -> bool:
        rows = await pg.fetch("SELECT channel, status FROM notifications WHERE token_id = $1", token_id)
        return len(rows) == 6 and all(r["status"] == ("delivered" if r["channel"] == "log" else "dead") for r in rows)

    await eventually(settled)
    recorded = await pg.fetch(
        "SELECT a.error FROM delivery_attempts a JOIN notifications n ON n.id = a.notification_id "
        "WHERE n.token_id = $1 AND a.error IS NOT NULL",
        token_id,
    )
    assert any(EMAIL in r["error"] for r in recorded) and any(PHONE in r["error"] for r in recorded), (
        "the refusals did quote the patient (kept in the delivery log, which the audit API shows)"
    )  # (not the name: the cancellation's free text, which names the patient, never reaches a message)

    formatter = JsonFormatter("test")
    records = [record for record in captured.records if record.name not in STAND_INS]
    lines = [formatter.format(record) for record in records]
    services = {record.name.split(".")[0] for record in records}
    assert {"gateway", "allocator", "notifier"} <= services, services
    leaks = [line for line in lines if any(secret in line.lower() for secret in SECRETS)]
    assert leaks == [], "\n".join(leaks)
