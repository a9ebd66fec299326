"""Cancel codes, privacy of public reads, rate limits, development mode (the role matrix: test_authority)."""

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.clock import ManualClock
from shared.startup import StartupError
from tests.conftest import API_KEYS
from tests.support.api import ApiClient, book, create_doctor
from tests.support.services import Running

NAME, PHONE, EMAIL = "Zubeida Quraishi-Private", "+91 90000 12345", "zubeida.private@example.org"

Call = Callable[..., Awaitable[tuple[int, dict[str, Any]]]]


@pytest.fixture
async def call(api: ApiClient) -> AsyncIterator[Call]:
    """A request as a given caller: ``anonymous``, a role's key, or ``invalid``."""
    async with aiohttp.ClientSession() as session:

        async def request(who: str, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
            headers = dict(kwargs.pop("headers", {}))
            if who == "invalid":
                headers["X-API-Key"] = "not-a-key"
            elif who != "anonymous":
                headers["X-API-Key"] = API_KEYS[who]
            async with session.request(method, api.make_url(path), headers=headers, **kwargs) as response:
                body = await response.json() if response.content_type == "application/json" else {}
                return response.status, body

        yield request


async def test_a_patient_uses_the_cancel_code_returned_at_booking(
    api: ApiClient, allocator: Running, call: Call
) -> None:
    doctor = await create_doctor(api)
    status, booked = await call(
        "booking", "POST", "/api/tokens", json={"doctorId": doctor["id"], "patientName": NAME, "patientAge": 50}
    )
    assert status == 201 and booked["cancelCode"]
    token, code = booked["token"]["id"], booked["cancelCode"]
    other_status, other = await call(
        "booking",
        "POST",
        "/api/tokens",
        json={"doctorId": doctor["id"], "patientName": "Someone Else", "patientAge": 40},
    )
    assert other_status == 201 and other["cancelCode"] != code
    assert booked["statusPage"].startswith("/t/") and other["statusPage"] != booked["statusPage"]

    assert (await call("anonymous", "GET", f"/api/tokens/{token}"))[0] == 401
    status, seen = await call("anonymous", "GET", f"/api/tokens/{token}", headers={"X-Cancel-Code": code.lower()})
    assert status == 200 and seen["token"]["patientName"] == NAME
    status, refused = await call("anonymous", "GET", f"/api/tokens/{token}?code={other['cancelCode']}")
    assert (status, refused["code"]) == (403, "INVALID_CANCEL_CODE")

    status, refused = await call("booking", "PUT", f"/api/tokens/{token}/cancel")
    assert (status, refused["code"]) == (403, "FORBIDDEN")
    status, refused = await call(
        "booking", "PUT", f"/api/tokens/{token}/cancel", json={"cancelCode": other["cancelCode"]}
    )
    assert (status, refused["code"]) == (403, "INVALID_CANCEL_CODE")
    status, cancelled = await call(
        "booking", "PUT", f"/api/tokens/{token}/cancel", json={"cancelCode": code, "reason": "better"}
    )
    assert status == 200 and cancelled["token"]["status"] == "cancelled"
    status, cancelled = await call("staff", "PUT", f"/api/tokens/{other['token']['id']}/cancel")  # staff: any token
    assert status == 200 and cancelled["token"]["status"] == "cancelled"


async def test_an_emergency_through_the_booking_endpoint_needs_staff(
    api: ApiClient, allocator: Running, call: Call
) -> None:
    doctor = await create_doctor(api)
    body = {"doctorId": doctor["id"], "patientName": "Not Really Urgent", "patientAge": 30, "source": "emergency"}
    status, refused = await call("booking", "POST", "/api/tokens", json=body)
    assert (status, refused["code"]) == (403, "FORBIDDEN")
    status, booked = await call("staff", "POST", "/api/tokens", json=body)
    assert status == 201 and booked["token"]["isEmergency"]


async def test_public_reads_never_show_a_patient(
    api: ApiClient, allocator: Running, call: Call, clock: ManualClock
) -> None:
    doctor = await create_doctor(api, capacity=1, reserved=0)
    await book(api, doctor["id"], NAME, phone=PHONE, email=EMAIL, timeSlot="09:00-10:00")
    await book(api, doctor["id"], f"{NAME} Two", phone=PHONE + "9", timeSlot="09:00-10:00")  # waitlisted
    clock.set(clock.now().replace(hour=9, minute=1))
    assert (await call("staff", "POST", f"/api/doctors/{doctor['id']}/call-next"))[0] == 200
    public = [
        "/api/doctors",
        f"/api/doctors/{doctor['id']}",
        f"/api/doctors/{doctor['id']}/schedule",
        f"/api/doctors/{doctor['id']}/queue",
        f"/api/doctors/{doctor['id']}/board",
        f"/board?doctorId={doctor['id']}",
    ]
    async with aiohttp.ClientSession() as session:
        for path in public:
            async with session.get(api.make_url(path)) as response:
                text = await response.text()
            assert response.status == 200, path
            for secret in (NAME, "Zubeida", PHONE, "90000", EMAIL, "patientName", "phone"):
                assert secret not in text, (path, secret)
    _, queue = await call("anonymous", "GET", f"/api/doctors/{doctor['id']}/queue")
    assert queue["nowServing"]["tokenNumber"] and queue["waitlist"][0]["tokenNumber"]
    _, staff_view = await call("staff", "GET", f"/api/doctors/{doctor['id']}/queue")
    assert staff_view["nowServing"]["patientName"] == NAME  # the doctor's desk sees who it is


async def test_bursts_get_429_with_retry_after_per_address_and_per_key(
    gateway_settings: GatewaySettings, clock: ManualClock
) -> None:
    settings = gateway_settings.model_copy(
        update={
            "rate_limit_per_ip": 0.5,
            "rate_limit_burst_per_ip": 3,
            "rate_limit_per_key": 0.5,
            "rate_limit_burst_per_key": 5,
        }
    )
    async with TestClient(TestServer(create_app(settings, clock))) as client:
        anonymous = [(await client.get("/api/doctors")).status for _ in range(4)]
        limited = await client.get("/api/doctors")
        refusal = await limited.json()
        keyed = [(await client.get("/api/doctors", headers={"X-API-Key": API_KEYS["staff"]})).status for _ in range(6)]
        health = [(await client.get("/healthz")).status for _ in range(10)]
    assert anonymous == [200, 200, 200, 429]
    assert limited.status == 429 and int(limited.headers["Retry-After"]) >= 1
    assert refusal["code"] == "RATE_LIMITED"
    assert keyed == [200] * 5 + [429]  # a key has its own bucket, not the address's
    assert health == [200] * 10


async def test_development_mode_lets_anonymous_callers_act_but_still_refuses_bad_keys(
    gateway_settings: GatewaySettings, clock: ManualClock, allocator: Running
) -> None:
    settings = gateway_settings.model_copy(update={"auth_mode": "development", "api_keys": ""})
    async with TestClient(TestServer(create_app(settings, clock))) as client:
        created = await client.post(
            "/api/doctors",
            json={
                "name": "Dr. Dev",
                "specialization": "ENT",
                "timeSlots": [{"startTime": "09:00", "endTime": "10:00", "maxCapacity": 2}],
            },
        )
        wrong = await client.get("/api/doctors", headers={"X-API-Key": "typo"})
    assert created.status == 201
    assert wrong.status == 401


def test_keys_without_a_cancel_code_secret_refuse_to_start(gateway_settings: GatewaySettings) -> None:
    with pytest.raises(StartupError, match="OPD_CANCEL_CODE_SECRET"):
        create_app(gateway_settings.model_copy(update={"cancel_code_secret": None}))


async def test_below_staff_a_recall_needs_the_tokens_own_code(api: ApiClient, allocator: Running, call: Call) -> None:
    doctor = await create_doctor(api)
    mine = await book(api, doctor["id"], "Ravi Kumar")
    other = await book(api, doctor["id"], "Asha Verma")
    path = f"/api/tokens/{mine['token']['id']}/recall"
    assert (await call("anonymous", "PUT", path))[0] == 401
    assert (await call("booking", "PUT", path))[0] == 403
    status, refused = await call("booking", "PUT", path, json={"cancelCode": other["cancelCode"]})
    assert (status, refused["code"]) == (403, "INVALID_CANCEL_CODE")
    status, done = await call("booking", "PUT", path, json={"cancelCode": mine["cancelCode"]})
    assert status == 200 and done["token"]["recalls"] == 1
