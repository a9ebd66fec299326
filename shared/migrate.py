"""Numbered SQL migrations, applied in order under an advisory lock and recorded with checksums."""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime
from importlib import resources

import asyncpg

from shared.startup import StartupError

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x0_0D_70_4B_E7  # "opd token" — any constant shared by every migrator
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class MigrationError(StartupError):
    """An applied migration was edited, or the recorded history does not match the files."""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def bundled_migrations() -> list[Migration]:
    """The migrations shipped in ``shared/migrations``, in version order."""
    found = []
    for entry in resources.files("shared.migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if versions != list(range(1, len(found) + 1)):
        raise MigrationError(f"migration numbers must run 1..n without gaps, found {versions}")
    return found


async def migrate(connection: asyncpg.Connection, migrations: list[Migration] | None = None) -> list[int]:
    """Apply what is missing; refuse if an applied migration changed. Returns the versions applied now."""
    migrations = bundled_migrations() if migrations is None else migrations
    await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await connection.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version    integer PRIMARY KEY,
                   name       text NOT NULL,
                   checksum   text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        applied = {
            row["version"]: row["checksum"]
            for row in await connection.fetch("SELECT version, checksum FROM schema_migrations")
        }
        done: list[int] = []
        for migration in migrations:
            recorded = applied.get(migration.version)
            if recorded is not None:
                if recorded != migration.checksum:
                    raise MigrationError(
                        f"migration {migration.version:04d}_{migration.name} was edited after it was applied; "
                        "restore the file as it was released (the database keeps its checksum)"
                    )
                continue
            async with connection.transaction():
                await connection.execute(migration.sql)
                await connection.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            log.info("applied migration %04d_%s", migration.version, migration.name)
            done.append(migration.version)
        return done
    finally:
        await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)


@dataclass(frozen=True, slots=True)
class Applied:
    version: int
    name: str
    applied_at: datetime
    edited: bool  # the file's checksum differs from the one recorded when it was applied


@dataclass(frozen=True, slots=True)
class Status:
    """Where a database stands against the migrations shipped with this release."""

    applied: list[Applied]
    pending: list[Migration]
    unknown: list[int]  # recorded, but not shipped here: the database was migrated by a newer release

    @property
    def current(self) -> bool:
        return not self.pending and not self.unknown and not any(entry.edited for entry in self.applied)


async def status(connection: asyncpg.Connection, migrations: list[Migration] | None = None) -> Status:
    """Compare the recorded history with the files, changing nothing."""
    migrations = bundled_migrations() if migrations is None else migrations
    exists = await connection.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    rows = (
        await connection.fetch("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version")
        if exists
        else []
    )
    shipped = {migration.version: migration for migration in migrations}
    recorded = {row["version"] for row in rows}
    return Status(
        applied=[
            Applied(
                row["version"],
                row["name"],
                row["applied_at"],
                row["version"] in shipped and shipped[row["version"]].checksum != row["checksum"],
            )
            for row in rows
        ],
        pending=[migration for migration in migrations if migration.version not in recorded],
        unknown=sorted(recorded - shipped.keys()),
    )
