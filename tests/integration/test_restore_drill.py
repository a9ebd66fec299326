"""The restore drill of docs/operations.md: dump a working database, lose it, restore it, check it, and carry on.
Also ``opd migrate --status`` on the restored database."""

import asyncio
import dataclasses
from pathlib import Path

import asyncpg
import pytest

from allocator.app import run_allocator
from allocator.settings import AllocatorSettings
from deploy.bench.invariants import check_invariants, wait_settled
from deploy.cli_migrate import describe, migration_status
from shared import db
from shared.clock import ManualClock
from shared.migrate import bundled_migrations, status
from tests.conftest import ADMIN_DSN
from tests.support.api import ApiClient, book, create_doctor
from tests.support.services import Running, start


async def _run(*argv: str) -> None:
    process = await asyncio.create_subprocess_exec(*argv, stderr=asyncio.subprocess.PIPE)
    _, errors = await process.communicate()
    assert process.returncode == 0, errors.decode()


@pytest.mark.timeout(120)
async def test_dump_drop_restore_check_and_resume(
    api: ApiClient,
    allocator: Running,
    allocator_settings: AllocatorSettings,
    clock: ManualClock,
    database: str,
    tmp_path: Path,
) -> None:
    doctor = await create_doctor(api, capacity=3)
    numbers = [(await book(api, doctor["id"], f"Restored {n}"))["token"]["tokenNumber"] for n in range(5)]
    assert await wait_settled(database, timeout=10)
    await allocator.shutdown()  # a backup of a running system is consistent too; stopping keeps the test simple

    dump = tmp_path / "opd.dump"
    await _run("pg_dump", "--format=custom", f"--file={dump}", f"--dbname={database}")
    name = db.database_name(database)
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # the disaster
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    await _run("pg_restore", "--exit-on-error", f"--dbname={database}", str(dump))

    assert await check_invariants(database) == []
    assert (await migration_status(database)).current
    resumed = start(lambda stop: run_allocator(allocator_settings, stop, clock))
    try:
        after = (await book(api, doctor["id"], "After the restore"))["token"]
        assert after["tokenNumber"] not in numbers
        listed = await api.get(f"/api/tokens/doctor/{doctor['id']}")
        assert (await listed.json())["total"] == len(numbers) + 1
    finally:
        await resumed.shutdown()
    assert await check_invariants(database) == []


async def test_migrate_status_lists_applied_pending_and_edited(pg: asyncpg.Connection) -> None:
    shipped = bundled_migrations()
    state = await status(pg)
    assert state.current and [entry.version for entry in state.applied] == [m.version for m in shipped]
    edited = dataclasses.replace(shipped[0], sql=shipped[0].sql + "\n-- edited")
    future = dataclasses.replace(shipped[-1], version=len(shipped) + 1, name="future")
    state = await status(pg, [edited, *shipped[1:], future])
    assert not state.current
    assert [entry.version for entry in state.applied if entry.edited] == [1]
    assert [m.version for m in state.pending] == [len(shipped) + 1]
    lines = describe(state)
    assert "CHECKSUM MISMATCH" in lines[0] and lines[-2] == f"pending  {len(shipped) + 1:04d}_future"
