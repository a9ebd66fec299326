"""Contention through the REST API: many concurrent bookings for one slot, decided by the single writer.

The slot has 10 seats, 1 reserved for emergencies, and has not started: 9 regular seats. Seats go first come,
first served (a confirmed token is never bumped by a later arrival), where "first" is the arrival order the
allocator assigned; everybody else waits, and both the consultation order and the waitlist follow
(priority, arrival).
"""

import asyncio
from typing import Any

import asyncpg

from tests.support.api import ApiClient, create_doctor
from tests.support.services import Running

CAPACITY, RESERVED = 10, 1
REGULAR_SEATS = CAPACITY - RESERVED
BOOKINGS = 200
SOURCES = ["walkin", "online", "followup", "priority", "online", "walkin", "walkin"]
MORNING = "09:00-10:00"


async def _post(api: ApiClient, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = await api.post("/api/tokens", json=body)
    return response.status, await response.json()


async def _book_concurrently(api: ApiClient, bodies: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    return await asyncio.gather(*(_post(api, body) for body in bodies))


async def _tokens_by_arrival(pg: asyncpg.Connection, doctor_id: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pg.fetch(
        "SELECT id::text, token_number, source, priority, status, arrival FROM tokens WHERE doctor_id = $1::uuid "
        "ORDER BY arrival",
        doctor_id,
    )
    return rows


def _best_first(rows: list[asyncpg.Record]) -> list[str]:
    return [row["token_number"] for row in sorted(rows, key=lambda row: (row["priority"], row["arrival"]))]


async def test_200_concurrent_bookings_fill_exactly_the_regular_seats_and_wait_in_order(
    api: ApiClient, allocator: Running, pg: asyncpg.Connection
) -> None:
    doctor = await create_doctor(
        api,
        timeSlots=[
            {"startTime": "09:00", "endTime": "10:00", "maxCapacity": CAPACITY, "reservedEmergencySlots": RESERVED}
        ],
    )
    bodies = [
        {
            "doctorId": doctor["id"],
            "patientName": f"Patient {n:03d}",
            "patientAge": 20 + n % 60,
            "source": SOURCES[n % len(SOURCES)],
            "timeSlot": MORNING,
        }
        for n in range(BOOKINGS)
    ]

    answers = await _book_concurrently(api, bodies)

    assert [status for status, _ in answers] == [201] * BOOKINGS, [a for a in answers if a[0] != 201][:3]
    largest_batch = await pg.fetchval(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM inbox WHERE command_type = 'BookToken' GROUP BY processed_at) b"
    )
    assert largest_batch > 1  # the requests really met at the allocator: several decided in one transaction
    rows = await _tokens_by_arrival(pg, doctor["id"])
    assert [row["arrival"] for row in rows] == list(range(1, BOOKINGS + 1))
    answered = {body["token"]["id"]: body["token"]["status"] for _, body in answers}
    assert answered == {row["id"]: row["status"] for row in rows}

    # Seats go to the first arrivals, whatever their source; nobody is bumped by a later, higher-priority one.
    confirmed = [row for row in rows if row["status"] == "confirmed"]
    pending = [row for row in rows if row["status"] == "pending"]
    assert len(confirmed) == REGULAR_SEATS
    assert confirmed == rows[:REGULAR_SEATS]
    assert len(pending) == BOOKINGS - REGULAR_SEATS

    # Consultation order and waitlist: (priority, arrival), positions 1..n.
    listed = await api.get(f"/api/tokens/doctor/{doctor['id']}")
    queue = (await listed.json())["tokens"]
    seated = [t for t in queue if t["status"] == "confirmed"]
    waiting = [t for t in queue if t["status"] == "pending"]
    assert [t["tokenNumber"] for t in seated] == _best_first(confirmed)
    assert [t["position"] for t in seated] == list(range(1, REGULAR_SEATS + 1))
    assert [t["tokenNumber"] for t in waiting] == _best_first(pending)
    assert [t["waitlistPosition"] for t in waiting] == list(range(1, len(pending) + 1))

    # The database's own accounting agrees, within its constraints.
    slot = await pg.fetchrow(
        "SELECT regular_count, emergency_count, max_capacity, status FROM slots WHERE doctor_id = $1::uuid",
        doctor["id"],
    )
    assert dict(slot) == {
        "regular_count": REGULAR_SEATS,
        "emergency_count": 0,
        "max_capacity": CAPACITY,
        "status": "full",
    }
    schedule = await (await api.get(f"/api/doctors/{doctor['id']}/schedule")).json()
    morning = schedule["slots"][0]
    assert (morning["regularSeatsLeft"], morning["emergencySeatsLeft"]) == (0, RESERVED)
    assert morning["waitlistCount"] == len(pending)


async def test_concurrent_duplicates_of_one_patient_get_one_token(
    api: ApiClient, allocator: Running, pg: asyncpg.Connection
) -> None:
    doctor = await create_doctor(api)
    body = {"doctorId": doctor["id"], "patientName": "Asha Verma", "patientAge": 34, "phone": "+91 98765 43210"}

    answers = await _book_concurrently(api, [body] * 50)

    statuses = sorted(status for status, _ in answers)
    assert statuses == [201] + [409] * 49
    winner = next(answer for status, answer in answers if status == 201)["token"]
    for status, answer in answers:
        if status == 409:
            assert (answer["code"], answer["existingToken"]["id"]) == ("DUPLICATE_TOKEN", winner["id"])
    active = await pg.fetchval(
        "SELECT count(*) FROM tokens WHERE doctor_id = $1::uuid AND status IN ('pending', 'confirmed')", doctor["id"]
    )
    assert active == 1


async def test_concurrent_emergencies_never_exceed_capacity_plus_one(
    api: ApiClient, allocator: Running, pg: asyncpg.Connection
) -> None:
    doctor = await create_doctor(
        api, timeSlots=[{"startTime": "09:00", "endTime": "10:00", "maxCapacity": 4, "reservedEmergencySlots": 1}]
    )
    regulars = [
        {"doctorId": doctor["id"], "patientName": f"Regular {n}", "patientAge": 30, "timeSlot": MORNING}
        for n in range(3)
    ]
    emergencies = [
        {"doctorId": doctor["id"], "patientName": f"Emergency {n}", "patientAge": 70, "source": "emergency"}
        for n in range(10)
    ]

    answers = await _book_concurrently(api, regulars + emergencies)

    assert all(status in (201, 409) for status, _ in answers), answers
    refused = [body for status, body in answers if status == 409]
    assert {body["code"] for body in refused} <= {"NO_EMERGENCY_CAPACITY"}
    seats = await pg.fetchrow(
        "SELECT regular_count, emergency_count, max_capacity FROM slots WHERE doctor_id = $1::uuid", doctor["id"]
    )
    assert seats["regular_count"] + seats["emergency_count"] == seats["max_capacity"] + 1
    overflow = await pg.fetchval(
        "SELECT count(*) FROM tokens WHERE doctor_id = $1::uuid AND overflow AND status = 'confirmed'", doctor["id"]
    )
    assert overflow == 1
