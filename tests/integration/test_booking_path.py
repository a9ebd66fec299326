"""The foundation path: REST → RabbitMQ → allocator → Postgres → events → notifier."""

import asyncpg
from aiohttp.test_utils import TestClient

from tests.support.api import book, create_doctor
from tests.support.services import Running, eventually


async def test_booked_token_is_committed_answered_published_and_notified(
    api: TestClient, allocator: Running, notifier: Running, pg: asyncpg.Connection
) -> None:
    doctor = await create_doctor(api)
    body = await book(api, doctor["id"], "Asha Verma", source="online", phone="+91 98765 43210")

    token = body["data"]
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
    assert (await read.json())["data"] == token


async def test_schedule_and_token_list_follow_the_seat_rule(api: TestClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=3, reserved=1)
    slot = "09:00-10:00"
    first = (await book(api, doctor["id"], "A", timeSlot=slot))["data"]
    second = (await book(api, doctor["id"], "B", timeSlot=slot))["data"]
    waiting = await book(api, doctor["id"], "C", timeSlot=slot)

    assert [first["status"], second["status"]] == ["confirmed", "confirmed"]
    assert waiting["data"]["status"] == "pending"
    assert waiting["data"]["waitlistPosition"] == 1
    assert waiting["suggestions"]["slots"][0]["timeSlot"] == "10:00-11:00"

    refused = await book(api, doctor["id"], "D", expect=409, timeSlot=slot, waitlist=False)
    assert refused["code"] == "SLOT_FULL"

    schedule = (await (await api.get(f"/api/doctors/{doctor['id']}/schedule?date=2026-12-01")).json())["data"]
    morning = schedule["slots"][0]
    assert morning["currentCount"] == 2
    assert morning["regularSeatsLeft"] == 0
    assert morning["emergencySeatsLeft"] == 1
    assert morning["waitlistCount"] == 1
    assert morning["status"] == "full"

    listed = (await (await api.get(f"/api/tokens/doctor/{doctor['id']}?date=2026-12-01")).json())["data"]
    assert [t["patientName"] for t in listed] == ["A", "B", "C"]


async def test_cancellation_promotes_the_waiting_patient(
    api: TestClient, allocator: Running, notifier: Running, pg: asyncpg.Connection
) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    seated = (await book(api, doctor["id"], "Seated", timeSlot="09:00-10:00"))["data"]
    waiting = (await book(api, doctor["id"], "Waiting", timeSlot="09:00-10:00"))["data"]
    assert waiting["status"] == "pending"

    response = await api.put(f"/api/tokens/{seated['id']}/cancel", json={"reason": "called to cancel"})
    assert response.status == 200
    assert (await response.json())["seatFreed"] is True

    promoted = (await (await api.get(f"/api/tokens/{waiting['id']}")).json())["data"]
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


async def test_unknown_ids_get_404(api: TestClient, allocator: Running) -> None:
    missing_token = await api.put("/api/tokens/D9-20261201-T001/cancel")
    assert missing_token.status == 404
    assert (await missing_token.json())["code"] == "TOKEN_NOT_FOUND"

    missing_doctor = await book(api, "00000000-0000-4000-8000-000000000000", "Nobody", expect=404)
    assert missing_doctor["code"] == "DOCTOR_NOT_FOUND"

    schedule = await api.get("/api/doctors/00000000-0000-4000-8000-000000000000/schedule")
    assert schedule.status == 404
