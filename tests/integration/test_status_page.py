"""A patient's status page: the link's code shows one token, in the patient's language, until its day ends."""

from datetime import timedelta
from typing import Any
from uuid import UUID

import orjson
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.clock import ManualClock
from shared.signatures import SIGNATURE_HEADER, signature
from shared.status_links import status_code
from tests.support.api import ApiClient, book, create_doctor
from tests.support.services import Running

SECRET = b"test-cancel-code-secret"


async def _status(api: ApiClient, page: str, expect: int = 200) -> dict[str, Any]:
    response = await api.get(f"{page}/status", headers={"X-API-Key": ""})
    body: dict[str, Any] = await response.json()
    assert response.status == expect, body
    return body


def _rows(status: dict[str, Any]) -> dict[str, str]:
    return {row["key"]: row["value"] for row in status["rows"]}


async def test_the_page_follows_one_token_through_its_day(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, room="101")
    first = await book(api, doctor["id"], "Asha Verma", phone="+919800000001")
    mine = await book(api, doctor["id"], "Ravi Kumar", phone="+919800000002")
    page = mine["statusPage"]

    status = (await _status(api, page))["status"]
    assert status["stage"] == "confirmed" and status["canLate"] and status["canCancel"]
    rows = _rows(status)
    assert rows["doctor"] == "Dr. Test" and rows["room"] == "101" and rows["before"] == "1"
    assert rows["token"].endswith("T002") and rows["eta"] != "-"

    html = await api.get(page, headers={"X-API-Key": ""})
    text = await html.text()
    assert html.status == 200 and html.headers["Cache-Control"] == "no-store"
    assert "Your token is confirmed" in text and "Asha" not in text and "Ravi" not in text
    assert len(text.encode()) < 20_000  # tiny: no framework

    await api.post(f"/api/doctors/{doctor['id']}/call-next")  # the first patient goes in
    assert _rows((await _status(api, page))["status"])["before"] == "0"
    await api.post(f"/api/doctors/{doctor['id']}/call-next")
    called = (await _status(api, page))["status"]
    assert called["stage"] == "called" and called["headline"] == "It is your turn: please go to room 101 now."
    assert first["token"]["id"] != mine["token"]["id"]


async def test_the_page_speaks_the_patients_language(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    booked = await book(api, doctor["id"], "Sita Devi", language="hi")
    status = (await _status(api, booked["statusPage"]))["status"]
    assert status["language"] == "hi" and status["headline"].startswith("आपका टोकन पक्का है")
    text = await (await api.get(booked["statusPage"], headers={"X-API-Key": ""})).text()
    assert '<html lang="hi">' in text and "आपसे पहले मरीज़" in text


async def test_a_wrong_or_expired_code_gets_one_plain_page(
    api: ApiClient, allocator: Running, clock: ManualClock
) -> None:
    doctor = await create_doctor(api)
    booked = await book(api, doctor["id"], "Sita Devi")
    token_id, day = UUID(booked["token"]["id"]), clock.now().date()
    forged = status_code(b"another-secret-of-sixteen", token_id, day)
    tomorrow_of_another = status_code(SECRET, UUID(int=7), day)
    pages = set()
    for code in (forged, tomorrow_of_another, "nonsense", "x" * 300):
        response = await api.get(f"/t/{code}", headers={"X-API-Key": ""})
        assert response.status == 404 and response.content_type == "text/html"
        pages.add(await response.text())
        assert (await _status(api, f"/t/{code}", 404))["code"] == "NOT_FOUND"
    assert len(pages) == 1 and "not valid or has expired" in pages.pop()

    clock.advance(timedelta(days=1))  # the visit day is over
    assert (await api.get(booked["statusPage"], headers={"X-API-Key": ""})).status == 404


async def test_the_page_moves_a_late_patient_back_once_and_cancels_with_the_link_alone(
    api: ApiClient, allocator: Running, clock: ManualClock
) -> None:
    doctor = await create_doctor(api, reserved=0)
    mine = await book(api, doctor["id"], "Ravi Kumar")
    for name in ("Asha Verma", "Sita Devi", "Meera Iyer"):
        await book(api, doctor["id"], name)
    page = mine["statusPage"]
    before = _rows((await _status(api, page))["status"])

    late = await api.post(f"{page}/late", headers={"X-API-Key": ""})
    moved = (await late.json())["status"]
    assert late.status == 200 and _rows(moved)["before"] == "2" and not moved["canLate"]
    assert _rows(moved)["eta"] != before["eta"]
    again = await api.post(f"{page}/late", headers={"X-API-Key": ""})
    assert again.status == 409 and (await again.json())["code"] == "INVALID_TRANSITION"  # at most once

    cancelled = await api.post(f"{page}/cancel", headers={"X-API-Key": ""})
    assert cancelled.status == 200 and (await cancelled.json())["status"]["stage"] == "cancelled"
    token = await (await api.get(f"/api/tokens/{mine['token']['id']}")).json()
    assert token["token"]["status"] == "cancelled"
    forged = page[:-4] + ("AAAA" if not page.endswith("AAAA") else "BBBB")
    assert (await api.post(f"{forged}/cancel", headers={"X-API-Key": ""})).status == 404


async def test_links_and_phones_have_their_own_limits(
    gateway_settings: GatewaySettings, clock: ManualClock, api: ApiClient, allocator: Running
) -> None:
    strict = gateway_settings.model_copy(
        update={"link_reads_burst": 3, "patient_actions_burst": 1, "inbound_sms_secret": SecretStr("sms-secret")}
    )
    client = TestClient(TestServer(create_app(strict, clock)), headers={"X-API-Key": ""})
    await client.start_server()
    try:
        doctor = await create_doctor(api, reserved=0)
        page = (await book(api, doctor["id"], "Ravi Kumar", phone="+919800000002"))["statusPage"]
        other = (await book(api, doctor["id"], "Asha Verma"))["statusPage"]
        assert [(await client.get(f"{page}/status")).status for _ in range(4)] == [200, 200, 200, 429]
        assert (await client.get(other)).status == 200  # another link is not held up
        assert (await client.post(f"{page}/late")).status == 200
        refused = await client.post(f"{page}/cancel")
        assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0
        body = orjson.dumps({"from": "+919800000002", "text": "STATUS"})
        headers = {SIGNATURE_HEADER: signature("sms-secret", body), "Content-Type": "application/json"}
        statuses = [(await client.post("/api/inbound/sms", data=body, headers=headers)).status for _ in range(2)]
        assert statuses == [200, 429]
    finally:
        await client.close()
