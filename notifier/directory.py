"""What messages may say about a doctor (name, room), read-only from the allocator's table.

Read once per doctor and kept for a minute (``DoctorDirectory``): a booking's message does not pay a database round
trip for a name that changes, if ever, by an administrator's hand; a new name reaches messages within the minute.
"""

import time
from collections.abc import Callable
from uuid import UUID

import asyncpg

from notifier.messages import DoctorInfo


async def doctor_info(connection: asyncpg.Connection, doctor_id: UUID) -> DoctorInfo | None:
    row = await connection.fetchrow("SELECT name, room FROM doctors WHERE id = $1", doctor_id)
    return DoctorInfo(name=row["name"], room=row["room"]) if row else None


class DoctorDirectory:
    """``doctor_info`` with a cache: a doctor found is kept ``ttl_seconds`` (at most ``max_size`` doctors; the
    oldest go first); one not found is read again next time."""

    def __init__(
        self, ttl_seconds: float = 60.0, max_size: int = 4096, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl_seconds = ttl_seconds
        self.max_size = max_size
        self.clock = clock
        self._known: dict[UUID, tuple[float, DoctorInfo]] = {}

    async def lookup(self, connection: asyncpg.Connection, doctor_id: UUID) -> DoctorInfo | None:
        now = self.clock()
        known = self._known.get(doctor_id)
        if known is not None and now - known[0] < self.ttl_seconds:
            return known[1]
        info = await doctor_info(connection, doctor_id)
        self._known.pop(doctor_id, None)
        if info is not None and self.ttl_seconds > 0:
            if len(self._known) >= self.max_size:
                del self._known[next(iter(self._known))]
            self._known[doctor_id] = (now, info)
        return info
