"""The write path's replay (``deploy/bench/write_path.py``) plays the stream it says on the real database."""

import asyncpg

from allocator.settings import AllocatorSettings
from deploy.bench.write_path import BOOKINGS, CANCELLED, replay


async def test_the_replay_books_and_cancels_what_it_says_and_measures_it(
    allocator_settings: AllocatorSettings, pg: asyncpg.Connection
) -> None:
    cost = await replay(allocator_settings, doctors=2)

    assert cost.commands == 2 * (BOOKINGS + CANCELLED)
    assert cost.database_cpu_ms > 0 and cost.processor_ms > 0
    statuses = dict(await pg.fetch("SELECT status, count(*) FROM tokens GROUP BY status"))
    assert sum(statuses.values()) == 2 * BOOKINGS and statuses["cancelled"] == 2 * CANCELLED
