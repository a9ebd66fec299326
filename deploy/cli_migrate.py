"""Creating and migrating a database, for ``opd migrate`` and the simulation."""

from shared import db
from shared.migrate import migrate


async def migrate_database(dsn: str) -> list[int]:
    await db.ensure_database(dsn)
    connection = await db.connect(dsn)
    try:
        return await migrate(connection)
    finally:
        await connection.close()
