"""Replies by SMS: CANCEL, LATE and STATUS (रद्द, देर, स्थिति) from the phone of a token for today, signed by the
SMS gateway; never about another phone's token."""

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.clock import ManualClock
from shared.signatures import SIGNATURE_HEADER, signature
from tests.conftest import ADMIN_HEADERS
from tests.support.api import ApiClient, book, create_doctor
from tests.support.services import Running

SECRET = "inbound-sms-test-secret"
ASHA, RAVI, SITA, NOBODY = "+91 98200 00001", "+91 98200 00002", "098200 00003", "+91 90000 99999"


@pytest.fixture
async def desk(gateway_settings: GatewaySettings, clock: ManualClock) -> AsyncIterator[ApiClient]:
    """A gateway that takes signed SMS replies."""
    settings = gateway_settings.model_copy(update={"inbound_sms_secret": SecretStr(SECRET)})
    client = TestClient(TestServer(create_app(settings, clock)), headers=ADMIN_HEADERS)
    await client.start_server()
    yield client
    await client.close()


async def _sms(desk: ApiClient, sender: str, text: str, secret: str = SECRET, expect: int = 200) -> dict[str, Any]:
    body = orjson.dumps({"from": sender, "text": text, "messageId": "gw-1"})
    headers = {SIGNATURE_HEADER: signature(secret, body), "Content-Type": "application/json", "X-API-Key": ""}
    response = await desk.post("/api/inbound/sms", data=body, headers=headers)
    answer: dict[str, Any] = await response.json()
    assert response.status == expect, answer
    return answer


async def _status(desk: ApiClient, token: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = (await (await desk.get(f"/api/tokens/{token['token']['id']}")).json())["token"]
    return found


async def test_each_keyword_in_english_acts_on_the_senders_token_only(desk: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(desk, room="101", reserved=0)
    asha = await book(desk, doctor["id"], "Asha Verma", phone=ASHA)
    ravi = await book(desk, doctor["id"], "Ravi Kumar", phone=RAVI)
    for name in ("Meera Iyer", "Kiran Rao"):
        await book(desk, doctor["id"], name)

    status = await _sms(desk, RAVI, "status")
    assert status["action"] == "status" and status["to"] == RAVI and status["language"] == "en"
    assert status["text"].startswith("Token D1-T002: Your token is confirmed.") and "Expected time:" in status["text"]
    assert "Asha" not in status["text"] and "Ravi" not in status["text"]

    late = await _sms(desk, RAVI, "LATE, sorry")
    assert late["action"] == "late" and (await _status(desk, ravi))["recalls"] == 1
    again = await _sms(desk, RAVI, "late")
    assert again["action"] == "refused" and again["text"].startswith("That could not be done. Token D1-T002")

    cancelled = await _sms(desk, RAVI, "Cancel")
    assert cancelled["action"] == "cancel" and "This token is cancelled." in cancelled["text"]
    assert (await _status(desk, ravi))["status"] == "cancelled"
    assert (await _status(desk, asha))["status"] == "confirmed"  # the other phone's token is untouched


async def test_hindi_keywords_and_a_hindi_speakers_answers(desk: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(desk, room="101")
    sita = await book(desk, doctor["id"], "Sita Devi", phone=SITA, language="hi")

    status = await _sms(desk, "+919820000003", "स्थिति")  # the same number, written another way
    assert status["action"] == "status" and status["language"] == "hi" and status["text"].startswith("टोकन D1-T001")
    late = await _sms(desk, SITA, "देर")
    assert late["action"] == "late" and (await _status(desk, sita))["recalls"] == 1
    cancelled = await _sms(desk, SITA, "रद्द")
    assert cancelled["action"] == "cancel" and "यह टोकन रद्द हो गया है।" in cancelled["text"]
    assert (await _status(desk, sita))["status"] == "cancelled"


async def test_a_phone_without_a_token_today_and_other_words_get_a_short_help(
    desk: ApiClient, allocator: Running
) -> None:
    doctor = await create_doctor(desk)
    await book(desk, doctor["id"], "Asha Verma", phone=ASHA)

    for text, language in (("CANCEL", "en"), ("रद्द", "hi")):
        nobody = await _sms(desk, NOBODY, text)
        assert nobody["action"] == "none" and nobody["language"] == language
    assert (await _sms(desk, NOBODY, "cancel"))["text"].startswith("We found no token for today")
    helped = await _sms(desk, ASHA, "hello, when is my turn?")
    assert helped["action"] == "help" and helped["text"] == "Reply STATUS, LATE or CANCEL about your token today."


async def test_an_unsigned_or_forged_reply_is_refused(desk: ApiClient, api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(desk)
    asha = await book(desk, doctor["id"], "Asha Verma", phone=ASHA)
    assert (await _sms(desk, ASHA, "CANCEL", secret="guessed", expect=401))["code"] == "UNAUTHENTICATED"
    unsigned = await desk.post("/api/inbound/sms", json={"from": ASHA, "text": "CANCEL"}, headers={"X-API-Key": ""})
    assert unsigned.status == 401
    assert (await _sms(api, ASHA, "CANCEL", expect=401))["code"] == "UNAUTHENTICATED"  # no secret: nothing is taken
    assert (await _status(desk, asha))["status"] == "confirmed"
