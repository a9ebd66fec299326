"""``opd bench notifier``: how fast one notifier drains a queue of token events: records their notifications,
then delivers them through the log channel.

Only a notifier runs, on a fresh database and broker namespace of its own (``opd_bench_notifier``,
``opdbenchnotifier``), so a load benchmark elsewhere keeps its ``opd_bench``. The events are built from a seed and
published before the notifier starts: one ``token.confirmed`` per token, then rounds of ``token.eta_changed`` (every
token's first update, then every token's second, ...). The ETA coalescing window is off so that every message is
due at once; an ETA update still unsent when the token's next one is recorded is superseded (how many depends on
timing). Both times run from the notifier's subscription to its queue, polled every ``POLL_SECONDS``: until every
event has its row, and until no row is pending any more.
"""

import asyncio
import os
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import aio_pika
import asyncpg

from deploy.bench.services import Stack, bench_stack
from shared import db
from shared.amqp import persistent
from shared.codec import encode
from shared.contracts.events import EVENT_ADAPTER, Event, TokenPayload
from shared.contracts.views import TokenView
from shared.topology import Topology, declare

DATABASE, PREFIX = "opd_bench_notifier", "opdbenchnotifier"
DOCTORS = 20
DAY = date(2026, 1, 6)  # a Tuesday
NINE = datetime(2026, 1, 6, 3, 30, tzinfo=UTC)  # 09:00 in Kolkata
POLL_SECONDS = 0.01
TIMEOUT_SECONDS = 120.0
PUBLISH_CHUNK = 256


@dataclass(frozen=True, slots=True)
class Drain:
    """What the notifier did, in seconds from its subscription."""

    recorded: float
    settled: float
    delivered: int
    superseded: int


def _uuid(rng: random.Random) -> UUID:
    return UUID(int=rng.getrandbits(128), version=4)


def _eta(number: int, update: int) -> datetime:
    """Five minutes per patient ahead in the doctor's queue, ten more for every update (the doctor runs late)."""
    return NINE + timedelta(minutes=5 * (number // DOCTORS) + 10 * update)


def _token(rng: random.Random, doctor_id: UUID, number: int) -> TokenView:
    return TokenView.model_validate(
        {
            "id": _uuid(rng),
            "token_number": f"B{number % DOCTORS:02d}-{DAY:%Y%m%d}-T{number:03d}",
            "short_number": f"T{number:03d}",
            "patient_name": f"Patient {number}",
            "patient_age": 20 + number % 60,
            "doctor_id": doctor_id,
            "slot_id": _uuid(rng),
            "date": DAY,
            "time_slot": "09:00-13:00",
            "source": "walkin",
            "priority": 5,
            "status": "confirmed",
            "is_emergency": False,
            "position": number // DOCTORS + 1,
            "estimated_time": _eta(number, 0),
            "created_at": NINE - timedelta(days=1),
        }
    )


class EventMaker:
    """Token events as the allocator writes them: per-doctor gap-free sequences, causation and correlation ids."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sequences: dict[UUID, int] = {}

    def __call__(self, event_type: str, token: TokenView, reason: str | None = None) -> Event:
        sequence = self.sequences[token.doctor_id] = self.sequences.get(token.doctor_id, 0) + 1
        command_id = _uuid(self.rng)
        return EVENT_ADAPTER.validate_python(
            {
                "type": event_type,
                "event_id": _uuid(self.rng),
                "occurred_at": NINE - timedelta(hours=1),
                "doctor_id": token.doctor_id,
                "sequence": sequence,
                "causation_id": command_id,
                "correlation_id": command_id,
                "payload": TokenPayload(token=token, reason=reason),
            }
        )


def build_events(doctors: list[UUID], tokens: int, updates: int, seed: int) -> list[Event]:
    """One confirmation per token, then ``updates`` rounds of ETA updates (each 10 minutes later than the last)."""
    rng = random.Random(seed)
    make = EventMaker(rng)
    booked = [_token(rng, doctors[n % len(doctors)], n) for n in range(1, tokens + 1)]
    events = [make("token.confirmed", token) for token in booked]
    for update in range(1, updates + 1):
        for number, token in enumerate(booked, 1):
            later = token.model_copy(update={"estimated_time": _eta(number, update)})
            events.append(make("token.eta_changed", later, reason="the doctor runs late"))
    return events


async def add_doctors(dsn: str, seed: int) -> list[UUID]:
    """Doctors whose names and rooms the messages quote (the notifier reads them for every event)."""
    rng = random.Random(seed + 1)
    doctors = [_uuid(rng) for _ in range(DOCTORS)]
    connection = await db.connect(dsn)
    try:
        await connection.executemany(
            "INSERT INTO doctors (id, code, name, specialization, room, working_days) "
            "VALUES ($1, $2, $3, 'General', $4, '{Tuesday}')",
            [(doctor, f"B{n:02d}", f"Dr. Bench {n}", str(100 + n)) for n, doctor in enumerate(doctors)],
        )
    finally:
        await connection.close()
    return doctors


async def publish(amqp_url: str, topology: Topology, events: list[Event]) -> None:
    """Straight to the events exchange, persistent and confirmed, in order (publishes of a chunk overlap)."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        exchange = (await declare(await connection.channel(publisher_confirms=True), topology)).events
        for start in range(0, len(events), PUBLISH_CHUNK):
            await asyncio.gather(
                *(
                    exchange.publish(persistent(encode(e), message_id=str(e.event_id), type=e.type), routing_key=e.type)
                    for e in events[start : start + PUBLISH_CHUNK]
                )
            )


async def _until(probe: Callable[[], Awaitable[bool]], what: str) -> float:
    """Poll until the probe holds; the monotonic time it was seen to."""
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not await probe():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {TIMEOUT_SECONDS:.0f} s")
        await asyncio.sleep(POLL_SECONDS)
    return time.monotonic()


async def subscribed(amqp_url: str, queue: str) -> float:
    """When the notifier's consumer appears on its queue."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()

        async def consuming() -> bool:
            declared = await channel.declare_queue(queue, passive=True)
            return bool(declared.declaration_result.consumer_count)

        return await _until(consuming, "the notifier's subscription")


async def drain(pg: asyncpg.Connection, stack: Stack, expected: int) -> Drain:
    """Start the notifier; time the recording and the delivery of the ``expected`` notifications."""
    stack.start("notifier")
    began = await subscribed(stack.amqp_url, stack.topology.notifier_queue)
    counts = "SELECT count(*) AS rows, count(*) FILTER (WHERE status = 'pending') AS pending FROM notifications"

    async def recorded() -> bool:
        return bool(await pg.fetchval("SELECT count(*) FROM notifications") == expected)

    async def settled() -> bool:
        row = await pg.fetchrow(counts)
        return bool(row["rows"] == expected and row["pending"] == 0)

    recorded_at = await _until(recorded, f"{expected} notifications recorded")
    settled_at = await _until(settled, "every notification delivered or superseded")
    statuses = dict(await pg.fetch("SELECT status, count(*) FROM notifications GROUP BY 1"))
    return Drain(recorded_at - began, settled_at - began, statuses.get("delivered", 0), statuses.get("superseded", 0))


def print_drain(result: Drain, events: int, tokens: int, updates: int) -> None:
    print(f"notifier drain: {events} events ({tokens} tokens: confirmed + {updates} ETA updates each),")
    print(f"log channel, one notifier, {os.cpu_count()} cores")
    print(f"recorded {events:>6} events        in {result.recorded:6.2f} s {events / result.recorded:8.0f} events/s")
    rate = events / result.settled
    print(f"settled  {events:>6} notifications in {result.settled:6.2f} s {rate:8.0f} notifications/s", end=" ")
    print(f"({result.delivered} delivered, {result.superseded} superseded)")


async def run_drain(tokens: int, updates: int, seed: int) -> int:
    """Exit code 0 when the notifier recorded and settled every notification in time."""
    stack = await bench_stack(DATABASE, PREFIX)
    stack.extra_env.update({"OPD_ETA_COALESCE_SECONDS": "0", "OPD_METRICS_PORT": "0"})
    pg = await db.connect(stack.dsn)
    try:
        events = build_events(await add_doctors(stack.dsn, seed), tokens, updates, seed)
        await publish(stack.amqp_url, stack.topology, events)
        result = await drain(pg, stack, len(events))  # the log channel only: one notification per event
        print_drain(result, len(events), tokens, updates)
        return 0
    except TimeoutError as exc:
        print(f"failed: {exc}")
        return 1
    finally:
        await pg.close()
        stack.stop()
        print(f"service log: {stack.logs}")
