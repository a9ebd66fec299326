"""Colleague suggestions read other doctors' days as seat counts (``repository.load_slot_seats``): those must
be what the full day, loaded token by token, says — seated by source, the waitlist in queue order, quotas."""

from datetime import date
from uuid import UUID

import asyncpg
from aiohttp.test_utils import TestClient

from allocator.adapters import repository
from allocator.domain.alternatives import seats_of_day
from tests.conftest import ZONE
from tests.support.api import book, call, create_doctor
from tests.support.services import Running

TODAY = date(2026, 12, 1)


async def test_seat_counts_agree_with_the_loaded_day(
    api: TestClient, allocator: Running, pg: asyncpg.Connection
) -> None:
    slots = [
        {"startTime": "09:00", "endTime": "10:00", "maxCapacity": 4, "reservedEmergencySlots": 1},
        {"startTime": "10:00", "endTime": "11:00", "maxCapacity": 3, "quotas": {"online": 1}},
    ]
    doctor = (await create_doctor(api, timeSlots=slots))["id"]
    other = (await create_doctor(api, name="Dr. Other"))["id"]
    sources = ["walkin", "online", "followup", "priority", "walkin", "online", "priority", "walkin", "followup"]
    tokens = [
        (await book(api, doctor, f"Patient {n}", source=source, timeSlot="09:00-10:00"))["data"]
        for n, source in enumerate(sources)
    ]
    await book(api, doctor, "Late online", source="online", timeSlot="10:00-11:00")
    await book(api, doctor, "Late walk-in", source="walkin", timeSlot="10:00-11:00")
    await call(
        api, "POST", "/api/tokens/emergency", 201, json={"doctorId": doctor, "patientName": "E", "patientAge": 70}
    )
    await call(api, "PUT", f"/api/tokens/{tokens[1]['id']}/cancel", 200, json={})
    await book(api, other, "Elsewhere")

    ids = [UUID(doctor), UUID(other)]
    counted = await repository.load_slot_seats(pg, ids, TODAY, ZONE)
    doctors = {d: await repository.load_doctor(pg, d) for d in ids}
    for doctor_id, found in doctors.items():
        assert found is not None
        loaded = await repository.load_day(pg, found, TODAY, ZONE)
        assert counted[doctor_id] == seats_of_day(loaded)
    first = counted[ids[0]][0]
    assert sum(first.seated.values()) == 4, "three regular seats (one freed and refilled) and the emergency"
    assert [source.value for source in first.waiting] == ["priority", "followup", "online", "walkin", "walkin"]
