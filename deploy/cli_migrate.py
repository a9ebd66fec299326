"""Creating and migrating a database, for ``opd migrate``, the simulation and the benchmark."""

import asyncpg

from shared import db
from shared.migrate import migrate


async def migrate_database(dsn: str) -> list[int]:
    await db.ensure_database(dsn)
    connection = await db.connect_explained(dsn)
    try:
        return await migrate(connection)
    finally:
        await connection.close()


async def fresh_database(dsn: str) -> None:
    """Drop the URL's database if it exists, create it and apply the migrations: a run from a clean slate."""
    admin = await asyncpg.connect(db.with_database(dsn, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{db.database_name(dsn)}" WITH (FORCE)')
    finally:
        await admin.close()
    await migrate_database(dsn)
