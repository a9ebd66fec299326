"""Creating and migrating a database, for ``opd migrate``, the simulation and the benchmark."""

import os

from shared import db
from shared.migrate import Status, migrate, status
from shared.startup import StartupError

SERVICE_ROLES = {"opd_reader": "READER", "opd_allocator": "ALLOCATOR", "opd_notifier": "NOTIFIER"}


def role_passwords() -> dict[str, str]:
    """Each service login's password from ``OPD_DB_PASSWORD_<SERVICE>``; a missing one is named."""
    variables = {role: f"OPD_DB_PASSWORD_{suffix}" for role, suffix in SERVICE_ROLES.items()}
    missing = [name for name in variables.values() if not os.environ.get(name)]
    if missing:
        raise StartupError(f"--role-passwords needs {', '.join(missing)} (see .env.example)")
    return {role: os.environ[name] for role, name in variables.items()}


async def migrate_database(dsn: str, passwords: dict[str, str] | None = None) -> list[int]:
    """Apply the migrations; then give the service logins these passwords (role → password), if any."""
    await db.ensure_database(dsn)
    connection = await db.connect_explained(dsn)
    try:
        applied = await migrate(connection)
        for role, password in (passwords or {}).items():
            statement = await connection.fetchval(
                "SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)", role, password
            )
            await connection.execute(statement)
        return applied
    finally:
        await connection.close()


async def migration_status(dsn: str) -> Status:
    connection = await db.connect_explained(dsn)
    try:
        return await status(connection)
    finally:
        await connection.close()


def describe(state: Status) -> list[str]:
    """``opd migrate --status``: one line per migration, applied (when, edited?) or pending."""
    lines = [
        f"applied  {entry.version:04d}_{entry.name}  {entry.applied_at:%Y-%m-%d %H:%M %Z}"
        + ("  CHECKSUM MISMATCH: the file was edited after it was applied" if entry.edited else "")
        for entry in state.applied
    ]
    lines += [f"pending  {migration.version:04d}_{migration.name}" for migration in state.pending]
    lines += [f"unknown  {version:04d}  applied by a newer release than this one" for version in state.unknown]
    if state.current:
        lines.append("schema is up to date")
    elif state.pending and not state.unknown:
        lines.append(f"{len(state.pending)} pending: run `opd migrate`")
    return lines


async def fresh_database(dsn: str) -> None:
    """Drop the URL's database if it exists, create it and apply the migrations: a run from a clean slate."""
    admin = await db.connect_explained(db.with_database(dsn, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{db.database_name(dsn)}" WITH (FORCE)')
    finally:
        await admin.close()
    await migrate_database(dsn)
