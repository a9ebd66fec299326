"""The processor's ports over a PostgreSQL pool: reads on pooled sessions, each batch's write in one call."""

from datetime import date
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from allocator.adapters import messaging_store as messages
from allocator.adapters import repository
from allocator.domain.alternatives import SlotSeats
from allocator.domain.day import Day
from allocator.domain.model import Doctor
from allocator.service.ports import BatchWrite, InboxRow, StoredReply
from shared import db


class PostgresStore:
    """Implements ``StateStore`` and ``MessageStore``."""

    def __init__(self, pool: asyncpg.Pool, zone: ZoneInfo) -> None:
        self.pool = pool
        self.zone = zone

    def unavailable(self, exc: BaseException) -> bool:
        return db.is_transient(exc)

    async def load_doctor(self, doctor_id: UUID) -> Doctor | None:
        async with self.pool.acquire() as connection:
            return await repository.load_doctor(connection, doctor_id)

    async def load_day(self, doctor: Doctor, day: date) -> Day:
        async with self.pool.acquire() as connection:
            return await repository.load_day(connection, doctor, day, self.zone)

    async def materialized_dates(self, doctor_id: UUID, first: date) -> list[date]:
        async with self.pool.acquire() as connection:
            return await repository.materialized_dates(connection, doctor_id, first)

    async def doctors_with_day(self, day: date) -> list[UUID]:
        async with self.pool.acquire() as connection:
            return await repository.doctors_with_day(connection, day)

    async def locate_token(self, doctor_id: UUID, ref: str) -> date | None:
        async with self.pool.acquire() as connection:
            return await repository.locate_token(connection, doctor_id, ref)

    async def reserve_doctor_code(self) -> str:
        async with self.pool.acquire() as connection:
            return await repository.reserve_doctor_code(connection)

    async def specialists(self, specialization: str, limit: int) -> list[Doctor]:
        async with self.pool.acquire() as connection:
            return await repository.load_specialists(connection, specialization, limit)

    async def slot_seats(self, doctor_ids: list[UUID], day: date) -> dict[UUID, list[SlotSeats]]:
        async with self.pool.acquire() as connection:
            return await repository.load_slot_seats(connection, doctor_ids, day, self.zone)

    async def acquire_lease(self, shard: int, holder: str) -> int:
        async with self.pool.acquire() as connection:
            return await messages.acquire_lease(connection, shard, holder)

    async def commit(self, batch: BatchWrite) -> dict[UUID, StoredReply]:
        async with self.pool.acquire() as connection:
            return await messages.commit_batch(connection, batch)

    async def record_failure(self, shard: int, epoch: int, row: InboxRow) -> StoredReply:
        async with self.pool.acquire() as connection:
            return await messages.record_failure(connection, shard, epoch, row)
