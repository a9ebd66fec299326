"""The issue's story end to end: a patient booked over REST with a phone gets the link in their message, watches
their place fall as the doctor calls, says they are running late and sees the new time; a second patient cancels
by replying "रद्द"."""

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from gateway.app import create_app
from gateway.settings import GatewaySettings
from notifier.app import run_notifier
from notifier.settings import NotifierSettings
from shared.clock import ManualClock
from shared.signatures import SIGNATURE_HEADER, signature
from tests.conftest import ADMIN_HEADERS
from tests.support.api import ApiClient, book, create_doctor
from tests.support.notifier import fast, webhook_receiver
from tests.support.services import Running, eventually, start

BASE = "https://opd.example.org"
SMS_SECRET = "story-sms-secret"


@pytest.fixture
async def hospital(gateway_settings: GatewaySettings, clock: ManualClock) -> AsyncIterator[ApiClient]:
    settings = gateway_settings.model_copy(
        update={"public_base_url": BASE, "inbound_sms_secret": SecretStr(SMS_SECRET)}
    )
    client = TestClient(TestServer(create_app(settings, clock)), headers=ADMIN_HEADERS)
    await client.start_server()
    yield client
    await client.close()


async def _page(hospital: ApiClient, link: str) -> dict[str, Any]:
    response = await hospital.get(f"{link.removeprefix(BASE)}/status", headers={"X-API-Key": ""})
    status: dict[str, Any] = (await response.json())["status"]
    return {**status, **{row["key"]: row["value"] for row in status["rows"]}}


@pytest.mark.timeout(60)
async def test_a_patient_follows_the_link_and_runs_late_and_another_cancels_by_sms(
    hospital: ApiClient, allocator: Running, clock: ManualClock, notifier_settings: NotifierSettings
) -> None:
    async with webhook_receiver() as receiver:
        settings = fast(notifier_settings, webhook_url=receiver.url, public_base_url=BASE)
        notifier = start(lambda stop: run_notifier(settings, stop))
        try:
            doctor = await create_doctor(hospital, reserved=0, room="101")
            await book(hospital, doctor["id"], "Asha Verma")
            mine = await book(hospital, doctor["id"], "Ravi Kumar", phone="+91 98200 00002")
            sita = await book(hospital, doctor["id"], "Sita Devi", phone="+91 98200 00003", language="hi")
            await book(hospital, doctor["id"], "Meera Iyer")
            await eventually(lambda: _received(receiver, "+91 98200 00002"))
            message = next(r.body for r in receiver.received if r.body["to"] == "+91 98200 00002")
        finally:
            await notifier.shutdown()
    link = message["text"].rsplit(" ", 1)[-1]
    assert link == mine["statusPage"] and link.startswith(f"{BASE}/t/")

    assert (await _page(hospital, link))["before"] == "1"
    clock.set(clock.now().replace(hour=9, minute=1))
    await hospital.post(f"/api/doctors/{doctor['id']}/call-next", json={})
    shown = await _page(hospital, link)
    assert shown["before"] == "0"

    late = await hospital.post(f"{link.removeprefix(BASE)}/late", headers={"X-API-Key": ""})
    moved = await _page(hospital, link)
    assert late.status == 200 and moved["before"] == "2" and moved["eta"] != shown["eta"] and not moved["canLate"]

    body = orjson.dumps({"from": "+919820000003", "text": "रद्द"})
    headers = {SIGNATURE_HEADER: signature(SMS_SECRET, body), "Content-Type": "application/json", "X-API-Key": ""}
    answer = await (await hospital.post("/api/inbound/sms", data=body, headers=headers)).json()
    assert answer["action"] == "cancel" and "यह टोकन रद्द हो गया है।" in answer["text"]
    token = (await (await hospital.get(f"/api/tokens/{sita['token']['id']}")).json())["token"]
    assert token["status"] == "cancelled"


async def _received(receiver: Any, phone: str) -> bool:
    return any(r.body["to"] == phone for r in receiver.received)
