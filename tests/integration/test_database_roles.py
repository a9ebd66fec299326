"""Least privilege in the database: each service's login writes only the tables it owns.

The rest of the suite runs the allocator as opd_allocator and the notifier as opd_notifier, which proves the
grants are enough; these tests prove they are not more.
"""

from uuid import uuid4

import asyncpg
import pytest

from shared import db

WRITES = {
    "tokens": "UPDATE tokens SET status = status",
    "doctors": "UPDATE doctors SET name = name",
    "slots": "UPDATE slots SET status = status",
    "inbox": "DELETE FROM inbox",
    "outbox": "DELETE FROM outbox",
    "notifications": "UPDATE notifications SET status = status",
    "delivery_attempts": "DELETE FROM delivery_attempts",
}
OWNED = {
    "opd_allocator": {"tokens", "doctors", "slots", "inbox", "outbox"},
    "opd_notifier": {"notifications", "delivery_attempts"},
    "opd_reader": set(),
}


@pytest.mark.parametrize("role", sorted(OWNED))
async def test_a_service_login_writes_its_own_tables_only(database: str, role: str) -> None:
    connection = await db.connect(db.with_user(database, role))
    try:
        for table, statement in WRITES.items():
            if table in OWNED[role]:
                async with connection.transaction():
                    await connection.execute(statement)
            else:
                with pytest.raises(asyncpg.InsufficientPrivilegeError):
                    await connection.execute(statement)
    finally:
        await connection.close()


async def test_the_notifier_reads_doctors_but_not_patients(database: str) -> None:
    connection = await db.connect(db.with_user(database, "opd_notifier"))
    try:
        assert await connection.fetchval("SELECT count(*) FROM doctors") == 0
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.fetchval("SELECT count(*) FROM tokens")
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await connection.execute("INSERT INTO shard_leases (shard, holder, epoch) VALUES (99, $1, 1)", str(uuid4()))
    finally:
        await connection.close()
