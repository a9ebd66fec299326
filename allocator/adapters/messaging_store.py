"""Inbox (command id → stored reply), outbox (events to publish) and shard leases (fencing) in Postgres."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from shared.codec import encode
from shared.contracts.commands import CommandBase
from shared.contracts.events import EventBase
from shared.contracts.replies import Reply


class Fenced(Exception):
    """Another allocator took this shard's lease: this one must not commit."""


@dataclass(frozen=True, slots=True)
class StoredReply:
    payload_hash: str
    reply: Reply
    issuer: str | None


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
    """Inside the batch transaction: lock the lease row and prove the epoch is still ours."""
    status = await connection.execute(
        "UPDATE shard_leases SET heartbeat_at = now() WHERE shard = $1 AND epoch = $2", shard, epoch
    )
    if status != "UPDATE 1":
        raise Fenced(f"shard {shard}: epoch {epoch} is no longer current")


async def stored_replies(connection: asyncpg.Connection, command_ids: Iterable[UUID]) -> dict[UUID, StoredReply]:
    rows = await connection.fetch(
        "SELECT command_id, payload_hash, reply, issuer FROM inbox WHERE command_id = any($1::uuid[])",
        list(command_ids),
    )
    return {
        row["command_id"]: StoredReply(row["payload_hash"], Reply.model_validate(row["reply"]), row["issuer"])
        for row in rows
    }


@dataclass(frozen=True, slots=True)
class InboxRow:
    command: CommandBase
    payload_hash: str
    shard: int
    epoch: int
    reply: Reply
    issuer: str | None


async def store_replies(connection: asyncpg.Connection, rows: list[InboxRow], if_absent: bool = False) -> None:
    conflict = " ON CONFLICT (command_id) DO NOTHING" if if_absent else ""
    await connection.executemany(
        """INSERT INTO inbox (command_id, command_type, payload_hash, shard, epoch, ok, reply, correlation_id, issuer)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"""
        + conflict,
        [
            (
                row.command.command_id,
                row.command.type,
                row.payload_hash,
                row.shard,
                row.epoch,
                row.reply.ok,
                encode(row.reply),
                row.command.correlation_id,
                row.issuer,
            )
            for row in rows
        ],
    )


async def append_outbox(connection: asyncpg.Connection, events: list[EventBase]) -> None:
    await connection.executemany(
        """INSERT INTO outbox (event_id, routing_key, doctor_id, sequence, body)
           VALUES ($1, $2, $3, $4, $5)""",
        [(e.event_id, e.type, e.doctor_id, e.sequence, encode(e)) for e in events],
    )


async def unpublished(connection: asyncpg.Connection, limit: int) -> list[Any]:
    return await connection.fetch(  # type: ignore[no-any-return]
        "SELECT id, event_id, routing_key, body FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT $1",
        limit,
    )


async def mark_published(connection: asyncpg.Connection, ids: list[int]) -> None:
    await connection.execute("UPDATE outbox SET published_at = now() WHERE id = any($1::bigint[])", ids)


async def backlog(connection: asyncpg.Connection) -> tuple[int, float]:
    """Unpublished events: how many, and how old the oldest is (seconds; 0 when none)."""
    row = await connection.fetchrow(
        """SELECT count(*) AS pending,
                  coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS lag
             FROM outbox WHERE published_at IS NULL"""
    )
    return row["pending"], max(row["lag"], 0.0)
