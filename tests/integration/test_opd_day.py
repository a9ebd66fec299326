"""An OPD day with a controlled clock, through the REST API: ticks, check-in, call-next, pace, delay, recall."""

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from allocator.app import run_allocator
from allocator.settings import AllocatorSettings
from shared.clock import ManualClock
from tests.support.api import ApiClient, book, create_doctor
from tests.support.services import Running, eventually, start


@pytest.fixture
async def ticking_allocator(allocator_settings: AllocatorSettings, clock: ManualClock) -> AsyncIterator[Running]:
    """An allocator whose clock acts every 0.1 s of wall time: moving the manual clock is seen at once."""
    settings = allocator_settings.model_copy(update={"tick_seconds": 0.1})
    running = start(lambda stop: run_allocator(settings, stop, clock))
    yield running
    await running.shutdown()


async def _token(api: ApiClient, token_id: str) -> dict[str, Any]:
    return (await (await api.get(f"/api/tokens/{token_id}")).json())["token"]  # type: ignore[no-any-return]


async def _status_becomes(api: ApiClient, token_id: str, status: str) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        token = await _token(api, token_id)
        return token if token["status"] == status else None

    return await eventually(probe, timeout=10)


async def _events(pg: asyncpg.Connection, token_id: str) -> list[str]:
    rows = await pg.fetch(
        "SELECT routing_key FROM outbox WHERE body->'payload'->'token'->>'id' = $1 ORDER BY id", token_id
    )
    return [row["routing_key"] for row in rows]


async def _put(api: ApiClient, path: str, body: dict[str, Any] | None = None, expect: int = 200) -> dict[str, Any]:
    response = await api.put(path, json=body or {})
    answer: dict[str, Any] = await response.json()
    assert response.status == expect, answer
    return answer


async def _post(api: ApiClient, path: str, body: dict[str, Any] | None = None, expect: int = 200) -> dict[str, Any]:
    response = await api.post(path, json=body or {})
    answer: dict[str, Any] = await response.json()
    assert response.status == expect, answer
    return answer


async def test_a_slot_lives_its_day_release_promotion_no_show_roll_over_completion(
    api: ApiClient, ticking_allocator: Running, clock: ManualClock, pg: asyncpg.Connection
) -> None:
    doctor = await create_doctor(api, capacity=3, reserved=1)
    morning = "09:00-10:00"
    a, b, c, d = [(await book(api, doctor["id"], name, timeSlot=morning))["token"] for name in "ABCD"]
    assert [t["status"] for t in (a, b, c, d)] == ["confirmed", "confirmed", "pending", "pending"]

    clock.set(clock.now().replace(hour=9, minute=1))  # the slot starts: its reserved seat is released
    await _status_becomes(api, c["id"], "confirmed")
    assert "token.promoted" in await _events(pg, c["id"])

    await _put(api, f"/api/tokens/{a['id']}/check-in")
    await _post(api, f"/api/doctors/{doctor['id']}/call-next")  # A, the checked-in one
    clock.advance(timedelta(minutes=12))
    called = await _post(api, f"/api/doctors/{doctor['id']}/call-next")
    assert called["completed"]["tokenNumber"] == a["tokenNumber"]
    assert called["nowServing"]["tokenNumber"] == b["tokenNumber"]

    clock.set(clock.now().replace(hour=10, minute=16))  # slot end + 15 min grace
    no_show = await _status_becomes(api, c["id"], "no_show")
    assert no_show["estimatedTime"] is None
    moved = await _status_becomes(api, d["id"], "confirmed")  # rolled into 10:00-11:00, where seats are free
    assert moved["timeSlot"] == {"startTime": "10:00", "endTime": "11:00"}
    assert (await _token(api, b["id"]))["status"] == "confirmed"  # in consultation: never a no-show
    schedule = await (await api.get(f"/api/doctors/{doctor['id']}/schedule?date=2026-12-01")).json()
    assert schedule["slots"][0]["status"] == "completed"
    assert await _events(pg, d["id"]) == ["token.waitlisted", "token.moved", "token.promoted"]


async def test_call_order_is_checked_in_first_then_priority_and_arrival(
    api: ApiClient, ticking_allocator: Running, clock: ManualClock
) -> None:
    doctor = await create_doctor(api, capacity=6, reserved=1)
    walkin = (await book(api, doctor["id"], "Walk-in", source="walkin"))["token"]
    online = (await book(api, doctor["id"], "Online", source="online"))["token"]
    followup = (await book(api, doctor["id"], "Follow-up", source="followup"))["token"]
    clock.set(clock.now().replace(hour=9, minute=0))
    await _put(api, f"/api/tokens/{walkin['id']}/check-in")

    first = await _post(api, f"/api/doctors/{doctor['id']}/call-next")
    assert first["nowServing"]["tokenNumber"] == walkin["tokenNumber"]
    assert first["upNext"]["tokenNumber"] == followup["tokenNumber"]
    second = await _post(api, f"/api/doctors/{doctor['id']}/call-next")
    assert [second["completed"]["tokenNumber"], second["nowServing"]["tokenNumber"]] == [
        walkin["tokenNumber"],
        followup["tokenNumber"],
    ]
    assert second["upNext"]["tokenNumber"] == online["tokenNumber"]


async def test_etas_follow_measured_consultations_and_the_queue_shows_them(
    api: ApiClient, ticking_allocator: Running, clock: ManualClock
) -> None:
    doctor = await create_doctor(api, capacity=6, reserved=0)  # 60 min / 6 = 10 min planned per patient
    tokens = [(await book(api, doctor["id"], f"P{n}"))["token"] for n in range(5)]
    clock.set(clock.now().replace(hour=9, minute=0))
    for _ in range(3):  # two consultations of 4 minutes each are measured
        await _post(api, f"/api/doctors/{doctor['id']}/call-next")
        clock.advance(timedelta(minutes=4))

    live = await (await api.get(f"/api/doctors/{doctor['id']}/queue?date=2026-12-01")).json()
    assert live["consultMinutes"] == 8.9  # 8.86: the planned 10, moved a tenth of the way to each 4 measured
    assert live["nowServing"]["tokenNumber"] == tokens[2]["tokenNumber"]
    assert [t["tokenNumber"] for t in live["next"]] == [t["tokenNumber"] for t in tokens[3:]]
    etas = [t["estimatedTime"][11:16] for t in live["next"]]
    assert etas == ["09:17", "09:24"]  # called at 09:08, then 8.86 minutes, then 0.8 of it (not here yet)
    assert live["counts"]["completed"] == 2


async def test_a_late_doctor_tells_every_waiting_patient_the_new_time(
    api: ApiClient, ticking_allocator: Running, notifier: Running, pg: asyncpg.Connection, clock: ManualClock
) -> None:
    clock.set(clock.now().replace(hour=8, minute=50))  # the times move 30 minutes, each soon enough to matter
    doctor = await create_doctor(api, capacity=4, reserved=1)
    tokens = [(await book(api, doctor["id"], f"P{n}", timeSlot="09:00-10:00"))["token"] for n in range(3)]

    answer = await _post(api, f"/api/doctors/{doctor['id']}/delay", {"minutes": 30, "reason": "emergency surgery"})
    assert answer["told"] == 3
    first = await _token(api, tokens[0]["id"])
    assert first["estimatedTime"][11:16] == "09:30"
    query = "SELECT message FROM notifications WHERE event_type = 'token.doctor_delayed' AND status = 'delivered'"

    async def all_told() -> list[asyncpg.Record]:
        rows = await pg.fetch(query)
        return rows if len(rows) >= 3 else []

    told = await eventually(all_told)
    assert len(told) == 3
    assert all("is running late. Your new expected time is" in row["message"] for row in told)
    assert not any("surgery" in row["message"] for row in told)  # the staff's own words stay with the staff


async def test_recall_requeues_then_makes_a_no_show_and_a_late_arrival_is_requeued(
    api: ApiClient, ticking_allocator: Running, clock: ManualClock
) -> None:
    doctor = await create_doctor(api, capacity=6, reserved=0)
    tokens = [(await book(api, doctor["id"], f"P{n}"))["token"] for n in range(4)]
    clock.set(clock.now().replace(hour=9, minute=0))
    called = (await _post(api, f"/api/doctors/{doctor['id']}/call-next"))["nowServing"]
    assert called["tokenNumber"] == tokens[0]["tokenNumber"]

    recalled = (await _put(api, f"/api/tokens/{tokens[0]['id']}/recall"))["token"]
    assert recalled["recalls"] == 1
    live = await (await api.get(f"/api/doctors/{doctor['id']}/queue")).json()
    order = [t["tokenNumber"] for t in live["next"]]
    assert order == [
        tokens[1]["tokenNumber"],
        tokens[2]["tokenNumber"],
        tokens[0]["tokenNumber"],
        tokens[3]["tokenNumber"],
    ]

    await _post(api, f"/api/doctors/{doctor['id']}/call-next")  # P1
    await _post(api, f"/api/doctors/{doctor['id']}/call-next")  # P2
    again = (await _post(api, f"/api/doctors/{doctor['id']}/call-next"))["nowServing"]
    assert again["tokenNumber"] == tokens[0]["tokenNumber"]
    second = await _put(api, f"/api/tokens/{tokens[0]['id']}/recall")
    assert second["token"]["status"] == "no_show" and second["noShow"] is True

    late = await _put(api, f"/api/tokens/{tokens[0]['id']}/check-in")
    assert late["lateArrival"] is True
    assert late["token"]["status"] == "confirmed"
    requeued, unarrived = await _token(api, tokens[0]["id"]), await _token(api, tokens[3]["id"])
    assert requeued["position"] > unarrived["position"]  # at the end of the walk-in class
    live = await (await api.get(f"/api/doctors/{doctor['id']}/queue")).json()
    # but checked in, so called before the patient who has not arrived: the queue shows the call order
    assert [t["tokenNumber"] for t in live["next"]] == [tokens[0]["tokenNumber"], tokens[3]["tokenNumber"]]

    late = await _put(api, f"/api/tokens/{tokens[3]['id']}/recall")  # not called yet: running late, once
    assert late["token"]["recalls"] == 1 and late["noShow"] is False
    refused = await _put(api, f"/api/tokens/{tokens[3]['id']}/recall", expect=409)
    assert refused["code"] == "INVALID_TRANSITION"
