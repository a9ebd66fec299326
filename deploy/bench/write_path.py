"""The write path's cost without the broker: one fixed stream of commands, each a batch of its own, through the
allocator's processor and PostgreSQL store; prints PostgreSQL's CPU and the processor's time per command.

The work is the same in every run (the same doctors, sources, bookings and cancellations, seeded), so two trees
can be compared in alternating runs where the whole system's figures move with the VM's speed (docs/performance.md,
eleventh round). Each doctor has the ordinary OPD day of ``opd bench core`` (two slots of 30) and gets 45 bookings
of random sources, then 11 of them cancelled, before the first slot starts.

usage: python -m deploy.bench.write_path [doctors]   (default 20; the database ``opd_bench_write`` on the server of
OPD_DATABASE_URL, made afresh)
"""

import asyncio
import random
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from datetime import time as clock_time
from uuid import UUID, uuid4

import psutil

from allocator.adapters.postgres_store import PostgresStore
from allocator.app import build_policy
from allocator.service.processor import ShardProcessor
from allocator.settings import AllocatorSettings
from deploy.bench.core import OPD_DAY, SOURCES
from deploy.cli_migrate import fresh_database
from shared import db
from shared.clock import ManualClock
from shared.contracts.commands import (
    BookToken,
    BookTokenPayload,
    CancelToken,
    CancelTokenPayload,
    CreateDoctor,
    CreateDoctorPayload,
)
from shared.contracts.values import Weekday

DATABASE = "opd_bench_write"
BOOKINGS = 45
CANCELLED = 11


@dataclass(frozen=True, slots=True)
class WritePathCost:
    commands: int
    database_cpu_ms: float  # per command: the PostgreSQL session's user and system CPU
    processor_ms: float  # per command: wall time in ``ShardProcessor.process`` (decide, commit, answer)


async def replay(settings: AllocatorSettings, doctors: int, seed: int = 7) -> WritePathCost:
    """Play the stream on ``settings``' database (migrated, with no doctor of the stream yet)."""
    pool = await db.create_pool(settings.writer_dsn, min_size=1, max_size=1)
    try:
        backend = psutil.Process(await pool.fetchval("SELECT pg_backend_pid()"))
        policy = build_policy(settings)
        now = datetime.combine(datetime.now(policy.zone).date(), clock_time(6), tzinfo=policy.zone)
        store = PostgresStore(pool, policy.zone)
        processor = ShardProcessor(store, store, 0, "write-path", policy, ManualClock(now), 1)
        rng = random.Random(seed)
        ids = [UUID(int=rng.getrandbits(128), version=4) for _ in range(doctors)]
        created = [
            CreateDoctor(
                command_id=uuid4(),
                issued_at=now,
                source="bench",
                payload=CreateDoctorPayload(
                    doctor_id=doctor_id,
                    name=f"Dr. Write {n}",
                    specialization="Write path",
                    time_slots=OPD_DAY.templates,
                    working_days=tuple(Weekday),
                ),
            )
            for n, doctor_id in enumerate(ids)
        ]
        await processor.process(created)
        commands, spent = 0, 0.0
        cpu_before = sum(backend.cpu_times()[:2])
        for doctor_id in ids:
            booked: list[str] = []
            for n in range(BOOKINGS):
                booking = BookTokenPayload(
                    doctor_id=doctor_id, patient_name=f"P {n}", patient_age=30, source=rng.choice(SOURCES)
                )
                began = time.perf_counter()
                (reply,) = await processor.process(
                    [BookToken(command_id=uuid4(), issued_at=now, source="bench", payload=booking)]
                )
                spent += time.perf_counter() - began
                booked += [str(reply.result["token"]["id"])] if reply.ok and reply.result else []
            rng.shuffle(booked)
            for token_id in booked[:CANCELLED]:
                cancel = CancelToken(
                    command_id=uuid4(),
                    issued_at=now,
                    source="bench",
                    payload=CancelTokenPayload(doctor_id=doctor_id, token_id=token_id),
                )
                began = time.perf_counter()
                await processor.process([cancel])
                spent += time.perf_counter() - began
            commands += BOOKINGS + min(CANCELLED, len(booked))
        database_cpu = sum(backend.cpu_times()[:2]) - cpu_before
    finally:
        await pool.close()
    return WritePathCost(commands, database_cpu / commands * 1e3, spent / commands * 1e3)


async def _main(doctors: int) -> None:
    base = AllocatorSettings()
    settings = base.model_copy(update={"database_url": db.with_database(base.database_url, DATABASE)})
    await fresh_database(settings.database_url)
    cost = await replay(settings, doctors)
    print(
        f"{cost.commands} commands: PostgreSQL {cost.database_cpu_ms:.3f} ms of CPU, "
        f"the processor {cost.processor_ms:.3f} ms, per command"
    )


if __name__ == "__main__":
    asyncio.run(_main(int(sys.argv[1]) if len(sys.argv) > 1 else 20))
