"""Inbox (command id → stored reply), outbox (events to publish) and shard leases (fencing) in Postgres."""

from typing import Any
from uuid import UUID

import asyncpg
import orjson

from allocator.adapters import repository
from allocator.service.ports import BatchWrite, Fenced, InboxRow, StoredReply
from shared.codec import encode
from shared.contracts.events import AnyEvent
from shared.contracts.replies import Reply

FENCED = "OPDFN"
"""The SQLSTATE ``opd_commit_batch`` raises for a stale lease epoch."""


async def acquire_lease(connection: asyncpg.Connection, shard: int, holder: str) -> int:
    """Take the shard by bumping its epoch; every earlier holder is fenced from now on."""
    return await connection.fetchval(  # type: ignore[no-any-return]
        """INSERT INTO shard_leases (shard, epoch, holder, acquired_at, heartbeat_at)
           VALUES ($1, 1, $2, now(), now())
           ON CONFLICT (shard) DO UPDATE SET epoch = shard_leases.epoch + 1, holder = EXCLUDED.holder,
               acquired_at = now(), heartbeat_at = now()
           RETURNING epoch""",
        shard,
        holder,
    )


async def check_lease(connection: asyncpg.Connection, shard: int, epoch: int) -> None:
    """Inside a transaction: lock the lease row and prove the epoch is still ours."""
    status = await connection.execute(
        "UPDATE shard_leases SET heartbeat_at = now() WHERE shard = $1 AND epoch = $2", shard, epoch
    )
    if status != "UPDATE 1":
        raise Fenced(f"shard {shard}: epoch {epoch} is no longer current")


def _stored(row: Any) -> StoredReply:
    return StoredReply(row["payload_hash"], Reply.model_validate(row["reply"]), row["issuer"])


def _inbox_rows(rows: list[InboxRow]) -> list[dict[str, object]]:
    """The rows as ``opd_commit_batch`` reads them (the function adds shard and epoch)."""
    return [
        {
            "command_id": row.command.command_id,
            "command_type": row.command.type,
            "payload_hash": row.payload_hash,
            "ok": row.reply.ok,
            "reply": orjson.Fragment(encode(row.reply)),
            "correlation_id": row.command.correlation_id,
            "issuer": row.issuer,
        }
        for row in rows
    ]


def _outbox_rows(events: list[AnyEvent]) -> list[dict[str, object]]:
    return [
        {
            "event_id": e.event_id,
            "routing_key": e.type,
            "doctor_id": e.doctor_id,
            "sequence": e.sequence,
            "body": orjson.Fragment(encode(e)),
        }
        for e in events
    ]


async def commit_batch(connection: asyncpg.Connection, batch: BatchWrite) -> dict[UUID, StoredReply]:
    """One call of ``opd_commit_batch``: the outcomes it found already (it wrote nothing then), else ``{}``."""
    state = repository.changed_rows(batch.changes)
    try:
        found = await connection.fetchval(
            "SELECT opd_commit_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            batch.shard,
            batch.epoch,
            [row.command.command_id for row in batch.inbox],
            batch.published,
            state.doctors,
            state.days,
            state.template_doctors,
            state.templates,
            state.slots,
            state.tokens,
            _inbox_rows(batch.inbox),
            _outbox_rows(batch.outbox),
        )
    except asyncpg.PostgresError as exc:
        if getattr(exc, "sqlstate", None) == FENCED:
            raise Fenced(f"shard {batch.shard}: epoch {batch.epoch} is no longer current") from exc
        raise
    return {UUID(row["command_id"]): _stored(row) for row in found or []}


async def record_failure(connection: asyncpg.Connection, shard: int, epoch: int, row: InboxRow) -> StoredReply:
    """Under the lease: record a dead-lettered command's outcome unless the command has one; the one it has now."""
    async with connection.transaction():
        await check_lease(connection, shard, epoch)
        await connection.execute(
            """INSERT INTO inbox (command_id, command_type, payload_hash, shard, epoch, ok, reply, correlation_id,
                                  issuer)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (command_id) DO NOTHING""",
            row.command.command_id,
            row.command.type,
            row.payload_hash,
            shard,
            epoch,
            row.reply.ok,
            encode(row.reply),
            row.command.correlation_id,
            row.issuer,
        )
        stored = await connection.fetchrow(
            "SELECT payload_hash, reply, issuer FROM inbox WHERE command_id = $1", row.command.command_id
        )
    return _stored(stored)


async def unpublished(connection: asyncpg.Connection, after: int, limit: int) -> list[Any]:
    """Unpublished rows with an id above ``after``, in outbox order."""
    return await connection.fetch(  # type: ignore[no-any-return]
        """SELECT id, event_id, routing_key, doctor_id, body FROM outbox
            WHERE published_at IS NULL AND id > $1 ORDER BY id LIMIT $2""",
        after,
        limit,
    )


async def mark_published(connection: asyncpg.Connection, event_ids: list[UUID]) -> None:
    await connection.execute(
        "UPDATE outbox SET published_at = now() WHERE event_id = any($1::uuid[]) AND published_at IS NULL", event_ids
    )


async def backlog(connection: asyncpg.Connection) -> tuple[int, float]:
    """Unpublished events: how many, and how old the oldest is (seconds; 0 when none)."""
    row = await connection.fetchrow(
        """SELECT count(*) AS pending,
                  coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS lag
             FROM outbox WHERE published_at IS NULL"""
    )
    return row["pending"], max(row["lag"], 0.0)
