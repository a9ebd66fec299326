"""A batch costs the database one statement once its days are held: the write is one call, the replies need no
read, and its events leave from memory, marked published by the next batch's call."""

import asyncio
from typing import Any
from uuid import UUID

import aio_pika
import asyncpg
import pytest

from allocator.adapters.outbox_relay import OutboxRelay
from allocator.adapters.postgres_store import PostgresStore
from allocator.app import build_policy
from allocator.service.processor import ShardProcessor
from allocator.settings import AllocatorSettings
from shared import db
from shared.clock import ManualClock
from shared.codec import decode_event
from shared.contracts.values import TokenSource
from shared.topology import Topology, declare
from tests.support.commands import book_command, create_doctor_command, token_commands
from tests.support.services import start

BATCHES = 3


async def _published(pg: asyncpg.Connection, events: list[Any]) -> list[bool]:
    rows = await pg.fetch(
        "SELECT event_id, published_at IS NOT NULL AS done FROM outbox WHERE event_id = any($1::uuid[])",
        [e.event_id for e in events],
    )
    done = {row["event_id"]: row["done"] for row in rows}
    return [done[e.event_id] for e in events]


async def test_a_batch_is_one_statement_and_its_events_need_no_outbox_read(
    allocator_settings: AllocatorSettings,
    clock: ManualClock,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    pg: asyncpg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    statements: list[str] = []
    connect = db.connect

    async def connect_counted(dsn: str, **kwargs: Any) -> asyncpg.Connection:
        connection = await connect(dsn, **kwargs)
        connection.add_query_logger(lambda logged: statements.append(logged.query))
        return connection

    monkeypatch.setattr(db, "connect", connect_counted)  # the relay's own session
    channel = await amqp_connection.channel()
    await declare(channel, topology)
    watcher = await channel.declare_queue(exclusive=True)
    await watcher.bind(topology.events_exchange, "#")
    received: asyncio.Queue[Any] = asyncio.Queue()

    async def receive(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        received.put_nowait(decode_event(message.body))

    await watcher.consume(receive, no_ack=True)

    pool = await db.create_pool(allocator_settings.writer_dsn, min_size=2, max_size=2)
    sessions = [await pool.acquire() for _ in range(2)]
    for session in sessions:
        session.add_query_logger(lambda logged: statements.append(logged.query))
        await pool.release(session)
    relay = OutboxRelay(allocator_settings.writer_dsn, topology, [0], mark_after_seconds=60)  # no marking of its own
    relaying = start(lambda stop: relay.run(amqp_connection, stop))
    policy = build_policy(allocator_settings)
    store = PostgresStore(pool, policy.zone)
    processor = ShardProcessor(store, store, 0, "counted", policy, clock, 1, outlet=relay)
    try:
        doctor = create_doctor_command(capacity=20)
        doctor_id = doctor.payload.doctor_id
        warm_up = await processor.process([doctor, book_command(doctor_id, "Warm")])
        assert all(reply.ok for reply in warm_up)
        await asyncio.sleep(0.3)  # the warm-up's events confirmed
        while not received.empty():
            received.get_nowait()
        statements.clear()

        batches = []
        for n in range(BATCHES):
            replies = await processor.process([book_command(doctor_id, f"B{n}-{k}") for k in range(4)])
            assert all(reply.ok for reply in replies)
            events = [await asyncio.wait_for(received.get(), 5) for _ in range(4)]  # one confirmation each
            batches.append(events)
            await asyncio.sleep(0.1)  # confirmed: the next batch's call marks them
        during = list(statements)
        marked_by_the_calls = [all(await _published(pg, events)) for events in batches]
        statements.clear()
        # The other kinds of command a desk sends, on tokens the processor holds: one statement still.
        warm_token = str((warm_up[1].result or {})["token"]["id"])
        mixed = token_commands(doctor_id, warm_token)
        answers = await processor.process([mixed["check-in"], mixed["emergency"], mixed["cancel"]])
        after_mixed = list(statements)
    finally:
        await relaying.shutdown()
        await pool.close()

    assert len(during) == BATCHES, during
    assert all("opd_commit_batch" in statement for statement in during)
    assert marked_by_the_calls == [True] * (BATCHES - 1) + [False], "each batch's call marks the one before"
    assert all(await _published(pg, batches[-1])), "the relay marks the last batch's on stopping"
    assert [answer.ok for answer in answers] == [True, True, True], answers
    assert len(after_mixed) == 1 and "opd_commit_batch" in after_mixed[0], after_mixed


class _ConfirmsAtOnce:
    """An outlet whose broker confirms every event at once: each call marks the batch before it published."""

    def __init__(self) -> None:
        self.confirmed: list[UUID] = []

    def committed(self, events: list[Any]) -> None:
        self.confirmed += [event.event_id for event in events]

    def sweep_first(self) -> None:
        pass

    def take_confirmed(self) -> list[UUID]:
        taken, self.confirmed = self.confirmed, []
        return taken

    def give_back(self, event_ids: list[UUID]) -> None:
        self.confirmed = event_ids + self.confirmed


async def _scans(pg: asyncpg.Connection, tables: tuple[str, ...]) -> dict[str, tuple[int, int, int]]:
    """Per table: sequential scans, index scans, rows fetched by index scans."""
    await pg.execute("SELECT pg_stat_clear_snapshot()")
    rows = await pg.fetch(
        "SELECT relname, seq_scan, coalesce(idx_scan, 0) AS idx_scan, coalesce(idx_tup_fetch, 0) AS fetched"
        " FROM pg_stat_user_tables WHERE relname = any($1::text[])",
        list(tables),
    )
    return {row["relname"]: (row["seq_scan"], row["idx_scan"], row["fetched"]) for row in rows}


async def test_the_batch_call_keeps_index_plans_made_while_its_tables_were_young(
    allocator_settings: AllocatorSettings, clock: ManualClock, pg: asyncpg.Connection
) -> None:
    """The call plans its statements once per session (D98). Plans made while the inbox, the outbox and the tokens
    held a handful of rows must still find rows by their key once they hold many, before any analyze has seen them
    grow: no sequential scan, and no index read whole (the unpublished rows' partial index, say). Each batch after
    the first books a paid-priority patient ahead of the walk-ins, so it rewrites their tokens too."""
    await pg.execute(
        "ALTER TABLE inbox SET (autovacuum_enabled = false); ALTER TABLE outbox SET (autovacuum_enabled = false);"
        " ALTER TABLE tokens SET (autovacuum_enabled = false)"
    )
    pool = await db.create_pool(allocator_settings.writer_dsn, min_size=1, max_size=1)
    policy = build_policy(allocator_settings)
    store = PostgresStore(pool, policy.zone)
    processor = ShardProcessor(store, store, 0, "young", policy, clock, 1, outlet=_ConfirmsAtOnce())
    tables = ("inbox", "outbox", "tokens")
    try:
        doctor = create_doctor_command(capacity=40)
        doctor_id = doctor.payload.doctor_id
        walk_ins = [book_command(doctor_id, f"Walk-in {n}") for n in range(3)]
        assert all(reply.ok for reply in await processor.process([doctor, *walk_ins]))
        await pg.execute("ANALYZE inbox; ANALYZE outbox; ANALYZE tokens")  # a young table's statistics: a few rows
        paid = book_command(doctor_id, "Planned", source=TokenSource.PRIORITY)
        assert all(reply.ok for reply in await processor.process([paid]))
        await pg.execute(
            """INSERT INTO inbox (command_id, command_type, payload_hash, shard, epoch, ok, reply)
               SELECT gen_random_uuid(), 'BookToken', '', 0, 0, true, '{}' FROM generate_series(1, 20000)"""
        )
        await pg.execute(
            """INSERT INTO outbox (event_id, routing_key, doctor_id, sequence, body)
               SELECT gen_random_uuid(), 'token.confirmed', $1, 1000000 + n, '{}' FROM generate_series(1, 20000) n""",
            doctor_id,
        )
        await pg.execute(
            """INSERT INTO tokens (id, token_number, short_number, doctor_id, slot_id, date, patient_name, patient_age,
                                   patient_key, source, priority, status, is_emergency, arrival, created_at,
                                   updated_at, queue_priority, queue_position)
               SELECT gen_random_uuid(), 'OLD-' || n, 'T' || n, doctor_id, slot_id, date '2020-01-01', 'Old', 30,
                      'old-' || n, 'walkin', 5, 'cancelled', false, n, now(), now(), 5, n
                 FROM (SELECT doctor_id, slot_id FROM tokens LIMIT 1) AS one, generate_series(1, 20000) n"""
        )
        before = await _scans(pg, tables)
        paid = book_command(doctor_id, "Grown", source=TokenSource.PRIORITY)
        assert all(reply.ok for reply in await processor.process([paid]))
    finally:
        await pool.close()  # its session's statistics reach the shared counters as it ends

    def scanned(table: str) -> bool:
        return sum(after[table]) > sum(before[table])

    for _ in range(50):  # the ended session's counters arrive shortly after
        after = await _scans(pg, tables)
        if all(scanned(table) for table in tables):
            break
        await asyncio.sleep(0.1)
    assert all(scanned(table) for table in tables), (before, after)
    seq_scans = {table: after[table][0] - before[table][0] for table in tables}
    assert seq_scans == {"inbox": 0, "outbox": 0, "tokens": 0}, "seq scans"
    assert all(after[table][2] - before[table][2] < 100 for table in tables), ("rows fetched", before, after)
