"""Redrive: give dead-lettered notifications another round of tries (the worker picks them up)."""

import logging
from collections.abc import Sequence

import asyncpg

from notifier import repository

log = logging.getLogger(__name__)


async def redrive(pool: asyncpg.Pool, ids: Sequence[int] | None = None) -> list[int]:
    """Back to pending, due now, with a fresh attempt budget: the given ids, or every dead one (``None``)."""
    async with pool.acquire() as connection:
        redriven = await repository.redrive(connection, ids)
    log.info("redrove %d notification(s): %s", len(redriven), redriven)
    return redriven
