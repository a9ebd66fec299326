"""The foundation path: REST → RabbitMQ → allocator → Postgres → events → notifier."""

from datetime import datetime, timedelta
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient, TestServer

from allocator.app import run_allocator
from allocator.settings import AllocatorSettings
from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.clock import ManualClock
from tests.conftest import ADMIN_HEADERS, API_KEYS
from tests.support.api import DOCTOR_BODY, ApiClient, book, create_doctor
from tests.support.services import Running, eventually, start


async def test_booked_token_is_committed_answered_published_and_notified(
    api: ApiClient, allocator: Running, notifier: Running, pg: asyncpg.Connection
) -> None:
    doctor = await create_doctor(api)
    body = await book(api, doctor["id"], "Asha Verma", source="online", phone="+91 98765 43210")

    token = body["token"]
    assert body["success"] is True
    assert token["status"] == "confirmed"
    assert token["timeSlot"] == {"startTime": "09:00", "endTime": "10:00"}
    assert token["position"] == 1
    assert token["estimatedTime"].startswith("2026-12-01T09:00")

    stored = await pg.fetchrow("SELECT status, token_number FROM tokens WHERE id = $1::uuid", token["id"])
    assert dict(stored) == {"status": "confirmed", "token_number": token["tokenNumber"]}

    published = await eventually(
        lambda: pg.fetchval(
            "SELECT published_at IS NOT NULL FROM outbox WHERE routing_key = 'token.confirmed' "
            "AND body->'payload'->'token'->>'id' = $1",
            token["id"],
        )
    )
    assert published is True

    notified = await eventually(
        lambda: pg.fetchrow(
            "SELECT channel, recipient, status, message FROM notifications "
            "WHERE token_id = $1::uuid AND status = 'delivered'",
            token["id"],
        )
    )
    assert notified["recipient"] == token["tokenNumber"]
    assert "confirmed" in notified["message"]

    read = await api.get(f"/api/tokens/{token['tokenNumber']}")
    assert read.status == 200
    assert {**(await read.json())["token"], "estimatedWaitTime": 60} == token


async def test_schedule_and_token_list_follow_the_seat_rule(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=3, reserved=1)
    slot = "09:00-10:00"
    first = (await book(api, doctor["id"], "A", timeSlot=slot))["token"]
    second = (await book(api, doctor["id"], "B", timeSlot=slot))["token"]
    waiting = await book(api, doctor["id"], "C", timeSlot=slot)

    assert [first["status"], second["status"]] == ["confirmed", "confirmed"]
    assert waiting["token"]["status"] == "pending"
    assert waiting["token"]["waitlistPosition"] == 1
    assert waiting["suggestedSlots"][0]["timeSlot"] == "10:00-11:00"

    refused = await book(api, doctor["id"], "D", expect=409, timeSlot=slot, waitlist=False)
    assert refused["code"] == "SLOT_FULL"

    schedule = await (await api.get(f"/api/doctors/{doctor['id']}/schedule?date=2026-12-01")).json()
    morning = schedule["slots"][0]
    assert morning["currentCount"] == 2
    assert morning["regularSeatsLeft"] == 0
    assert morning["emergencySeatsLeft"] == 1
    assert morning["waitlistCount"] == 1
    assert morning["status"] == "full"

    listed = (await (await api.get(f"/api/tokens/doctor/{doctor['id']}?date=2026-12-01")).json())["tokens"]
    assert [t["patientName"] for t in listed] == ["A", "B", "C"]


async def test_cancellation_promotes_the_waiting_patient(
    api: ApiClient, allocator: Running, notifier: Running, pg: asyncpg.Connection
) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    seated = (await book(api, doctor["id"], "Seated", timeSlot="09:00-10:00"))["token"]
    waiting = (await book(api, doctor["id"], "Waiting", timeSlot="09:00-10:00"))["token"]
    assert waiting["status"] == "pending"

    response = await api.put(f"/api/tokens/{seated['id']}/cancel", json={"reason": "called to cancel"})
    assert response.status == 200
    assert (await response.json())["seatFreed"] is True

    promoted = (await (await api.get(f"/api/tokens/{waiting['id']}")).json())["token"]
    assert promoted["status"] == "confirmed"
    assert promoted["position"] == 1
    told = await eventually(
        lambda: pg.fetchval(
            "SELECT message FROM notifications WHERE token_id = $1::uuid AND event_type = 'token.promoted'",
            waiting["id"],
        )
    )
    assert "now has a seat" in told

    again = await api.put(f"/api/tokens/{seated['id']}/cancel")
    assert again.status == 409
    assert (await again.json())["code"] == "INVALID_TRANSITION"


async def test_unknown_ids_get_404(api: ApiClient, allocator: Running) -> None:
    missing_token = await api.put("/api/tokens/D9-20261201-T001/cancel")
    assert missing_token.status == 404
    assert (await missing_token.json())["code"] == "TOKEN_NOT_FOUND"

    missing_doctor = await book(api, "00000000-0000-4000-8000-000000000000", "Nobody", expect=404)
    assert missing_doctor["code"] == "DOCTOR_NOT_FOUND"

    schedule = await api.get("/api/doctors/00000000-0000-4000-8000-000000000000/schedule")
    assert schedule.status == 404


async def test_a_slow_allocator_gets_202_with_a_status_url_that_later_shows_the_outcome(
    gateway_settings: GatewaySettings, clock: ManualClock, allocator_settings: AllocatorSettings
) -> None:
    settings = gateway_settings.model_copy(update={"rpc_timeout_seconds": 0.3})
    async with TestClient(TestServer(create_app(settings, clock)), headers=ADMIN_HEADERS) as api:
        doctor_id = "6f1c1a53-2b0e-4b7e-9d43-1a2b3c4d5e6f"
        response = await api.post("/api/doctors", json={**DOCTOR_BODY, "doctorId": doctor_id})
        accepted = await response.json()
        assert response.status == 202
        assert response.headers["Location"] == accepted["statusUrl"]
        assert (await api.get(accepted["statusUrl"])).status == 202
        someone_else = await api.get(accepted["statusUrl"], headers={"X-API-Key": API_KEYS["staff"]})
        assert someone_else.status == 404  # the receipt is its issuer's: pending is nobody else's business
        without_receipt = await api.get(accepted["statusUrl"].partition("?")[0])
        assert without_receipt.status == 404

        allocator = start(lambda stop: run_allocator(allocator_settings, stop, clock))
        try:

            async def outcome() -> dict[str, Any] | None:
                answer = await api.get(accepted["statusUrl"])
                return await answer.json() if answer.status == 201 else None  # as the immediate answer would be

            done = await eventually(outcome)
        finally:
            await allocator.shutdown()
    assert done["success"] is True
    assert done["doctor"]["id"] == doctor_id
    assert done["commandId"] == accepted["commandId"]


async def test_what_a_patient_was_told_is_stored_with_the_token(
    api: ApiClient, allocator: Running, pg: asyncpg.Connection
) -> None:
    """ETA notices compare with the ETA last announced, so it must survive a reload of the day (D33)."""
    doctor = await create_doctor(api, capacity=10, reserved=0)  # 6 consult minutes
    walkin = (await book(api, doctor["id"], "Walk-in"))["token"]
    await book(api, doctor["id"], "Paid", source="priority")

    stored = await pg.fetchrow("SELECT estimated_time, announced_eta FROM tokens WHERE id = $1::uuid", walkin["id"])
    assert walkin["estimatedTime"].startswith("2026-12-01T09:00")
    assert (stored["announced_eta"], stored["estimated_time"] - stored["announced_eta"]) == (
        datetime.fromisoformat(walkin["estimatedTime"]),
        timedelta(minutes=5),
    ), "moved 5 minutes back (0.8 of 6, the paid patient not here yet): too little to tell, the patient knows 09:00"
