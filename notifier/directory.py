"""What messages may say about a doctor (name, room), read-only from the allocator's table."""

from uuid import UUID

import asyncpg

from notifier.messages import DoctorInfo


async def doctor_info(connection: asyncpg.Connection, doctor_id: UUID) -> DoctorInfo | None:
    row = await connection.fetchrow("SELECT name, room FROM doctors WHERE id = $1", doctor_id)
    return DoctorInfo(name=row["name"], room=row["room"]) if row else None
