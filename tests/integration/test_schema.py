"""Migrations and the database's own defences."""

from datetime import UTC, date, datetime
from uuid import uuid4

import asyncpg
import pytest

from shared import db
from shared.migrate import Migration, MigrationError, bundled_migrations, migrate


async def test_migrating_again_changes_nothing(pg: asyncpg.Connection) -> None:
    assert await migrate(pg) == []
    versions = await pg.fetch("SELECT version FROM schema_migrations ORDER BY version")
    assert [row["version"] for row in versions] == [m.version for m in bundled_migrations()]


async def test_an_edited_applied_migration_is_refused(pg: asyncpg.Connection) -> None:
    edited = bundled_migrations()
    edited[0] = Migration(edited[0].version, edited[0].name, edited[0].sql + "\n-- edited")
    with pytest.raises(MigrationError, match="edited after it was applied"):
        await migrate(pg, edited)


async def test_the_gateway_role_can_read_but_not_write(database: str) -> None:
    reader = await db.connect(db.with_user(database, "opd_reader"))
    try:
        assert await reader.fetchval("SELECT count(*) FROM tokens") == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await reader.execute("DELETE FROM tokens")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await reader.execute("UPDATE shard_leases SET epoch = 99")
    finally:
        await reader.close()


async def _doctor_and_slot(pg: asyncpg.Connection, capacity: int) -> tuple[object, object]:
    doctor_id, slot_id = uuid4(), uuid4()
    await pg.execute(
        "INSERT INTO doctors (id, code, name, specialization, working_days) VALUES ($1, 'D1', 'X', 'Y', '{Monday}')",
        doctor_id,
    )
    await pg.execute(
        """INSERT INTO slots (id, doctor_id, date, start_time, end_time, max_capacity, reserved_emergency, status)
           VALUES ($1, $2, '2026-12-01', '09:00', '10:00', $3, 1, 'available')""",
        slot_id,
        doctor_id,
        capacity,
    )
    return doctor_id, slot_id


async def _insert_token(
    pg: asyncpg.Connection, doctor_id: object, slot_id: object, n: int, **overrides: object
) -> None:
    row = {
        "source": "walkin",
        "priority": 5,
        "is_emergency": False,
        "status": "confirmed",
        "patient_key": f"name:p{n}|30",
        **overrides,
    }
    now = datetime.now(UTC)
    await pg.execute(
        """INSERT INTO tokens (id, token_number, short_number, doctor_id, slot_id, date, patient_name, patient_age,
                               patient_key, source, priority, status, is_emergency, arrival, created_at, updated_at,
                               queue_priority, queue_position)
           VALUES ($1, $2, $3, $4, $5, $6, 'P', 30, $7, $8, $9, $10, $11, $12, $13, $13, $9, $12::integer)""",
        uuid4(),
        f"D1-20261201-{n:03d}",
        f"{n:03d}",
        doctor_id,
        slot_id,
        date(2026, 12, 1),
        row["patient_key"],
        row["source"],
        row["priority"],
        row["status"],
        row["is_emergency"],
        n,
        now,
    )


async def test_constraints_refuse_more_than_capacity_plus_one_seats(pg: asyncpg.Connection) -> None:
    doctor_id, slot_id = await _doctor_and_slot(pg, capacity=2)
    await _insert_token(pg, doctor_id, slot_id, 1)
    await _insert_token(pg, doctor_id, slot_id, 2)
    with pytest.raises(asyncpg.CheckViolationError):
        await _insert_token(pg, doctor_id, slot_id, 3)
    await _insert_token(pg, doctor_id, slot_id, 4, source="emergency", priority=1, is_emergency=True)
    with pytest.raises(asyncpg.CheckViolationError, match="seats_within_capacity_plus_one"):
        await _insert_token(pg, doctor_id, slot_id, 5, source="emergency", priority=1, is_emergency=True)
    counts = await pg.fetchrow("SELECT regular_count, emergency_count FROM slots WHERE id = $1", slot_id)
    assert tuple(counts) == (2, 1)


async def test_constraints_refuse_a_second_active_token_for_the_same_patient(pg: asyncpg.Connection) -> None:
    doctor_id, slot_id = await _doctor_and_slot(pg, capacity=5)
    await _insert_token(pg, doctor_id, slot_id, 1, patient_key="phone:9876543210")
    with pytest.raises(asyncpg.UniqueViolationError, match="tokens_one_active_per_patient"):
        await _insert_token(pg, doctor_id, slot_id, 2, patient_key="phone:9876543210", status="pending")
    await _insert_token(pg, doctor_id, slot_id, 3, patient_key="phone:9876543210", status="cancelled")


async def test_seat_counters_follow_status_and_slot_changes_only(pg: asyncpg.Connection) -> None:
    doctor_id, slot_id = await _doctor_and_slot(pg, capacity=3)
    other_slot = uuid4()
    await pg.execute(
        """INSERT INTO slots (id, doctor_id, date, start_time, end_time, max_capacity, reserved_emergency, status)
           VALUES ($1, $2, '2026-12-01', '10:00', '11:00', 3, 1, 'available')""",
        other_slot,
        doctor_id,
    )
    await _insert_token(pg, doctor_id, slot_id, 1)
    await _insert_token(pg, doctor_id, slot_id, 2, status="pending")

    async def counts() -> list[tuple[int, int]]:
        rows = await pg.fetch("SELECT regular_count, emergency_count FROM slots WHERE id = any($1) ORDER BY id = $2",
                              [slot_id, other_slot], other_slot)  # fmt: skip
        return [tuple(row) for row in rows]

    await pg.execute("UPDATE tokens SET estimated_time = now(), updated_at = now()")  # an ETA moved: no seat
    await pg.execute("UPDATE tokens SET status = status, slot_id = slot_id")  # rewritten as the allocator does
    assert await counts() == [(1, 0), (0, 0)]
    await pg.execute("UPDATE tokens SET status = 'confirmed' WHERE status = 'pending'")
    assert await counts() == [(2, 0), (0, 0)]
    await pg.execute("UPDATE tokens SET slot_id = $1 WHERE short_number = '002'", other_slot)
    assert await counts() == [(1, 0), (1, 0)]
    await pg.execute("DELETE FROM tokens WHERE short_number = '001'")
    assert await counts() == [(0, 0), (1, 0)]


async def test_a_token_is_found_by_id_or_number_through_indexes(pg: asyncpg.Connection) -> None:
    """The gateway and the allocator look tokens up by id or by token number in any case: never a full scan."""
    await pg.execute("SET enable_seqscan = off")  # the table is tiny here; ask what the indexes allow
    plan = await pg.fetchval(
        "EXPLAIN (FORMAT JSON) SELECT id, doctor_id FROM tokens WHERE id = $1 OR lower(token_number) = lower($2)",
        uuid4(),
        "D1-20261201-T001",
    )
    text = str(plan)
    assert "tokens_by_number_ci" in text and "tokens_pkey" in text and "Seq Scan" not in text
