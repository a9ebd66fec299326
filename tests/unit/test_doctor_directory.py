"""The notifier's doctor directory: a doctor is read once and kept for its time to live; one not found is not kept."""

from typing import Any
from uuid import UUID, uuid4

import asyncpg

from notifier.directory import DoctorDirectory
from notifier.messages import DoctorInfo


class Doctors:
    """Enough of a connection for ``doctor_info``: counts its reads."""

    def __init__(self, rows: dict[UUID, dict[str, Any]]) -> None:
        self.rows = rows
        self.reads = 0

    async def fetchrow(self, query: str, doctor_id: UUID) -> dict[str, Any] | None:
        self.reads += 1
        return self.rows.get(doctor_id)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_doctor_is_read_once_per_time_to_live_and_a_missing_one_every_time() -> None:
    known, missing = uuid4(), uuid4()
    doctors, clock = Doctors({known: {"name": "Dr. Rao", "room": "12"}}), Clock()
    directory = DoctorDirectory(ttl_seconds=60, clock=clock)
    connection: Any = doctors
    pg: asyncpg.Connection = connection

    assert await directory.lookup(pg, known) == DoctorInfo("Dr. Rao", "12")
    clock.now = 59
    assert await directory.lookup(pg, known) == DoctorInfo("Dr. Rao", "12")
    assert doctors.reads == 1
    doctors.rows[known] = {"name": "Dr. Asha Rao", "room": "14"}
    clock.now = 60
    assert await directory.lookup(pg, known) == DoctorInfo("Dr. Asha Rao", "14"), "read again after its minute"
    assert doctors.reads == 2

    assert await directory.lookup(pg, missing) is None
    assert await directory.lookup(pg, missing) is None
    assert doctors.reads == 4


async def test_the_oldest_doctor_makes_room_when_the_directory_is_full() -> None:
    ids = [uuid4() for _ in range(3)]
    doctors = Doctors({i: {"name": f"Dr. {n}", "room": None} for n, i in enumerate(ids)})
    connection: Any = doctors
    directory = DoctorDirectory(max_size=2)
    for doctor_id in ids:
        await directory.lookup(connection, doctor_id)
    await directory.lookup(connection, ids[2])
    await directory.lookup(connection, ids[0])  # the first was dropped for the third
    assert doctors.reads == 4
