"""The load generator: clients booking, cancelling and sending emergencies, each request timed.

Closed loop (``rate=None``): ``clients`` tasks each send their next request when the previous one is answered,
which finds the maximum throughput. Open loop (``rate=R``): requests start on a fixed schedule of R per second
whatever the answers do, and latency counts from the scheduled start, so a stall shows in the figures instead
of slowing the generator down (no coordinated omission).
"""

import asyncio
import random
import time
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from uuid import UUID

from deploy.bench.transports import Outcome, Patient, Transport

REGULAR_SOURCES = ("walkin", "walkin", "online", "online", "followup", "priority")


class Op(StrEnum):
    BOOK = "book"
    CANCEL = "cancel"
    EMERGENCY = "emergency"


@dataclass(frozen=True, slots=True)
class Mix:
    """Shares of each operation; a cancel with nothing to cancel yet books instead."""

    book: float = 0.75
    cancel: float = 0.2
    emergency: float = 0.05

    def pick(self, rng: random.Random) -> Op:
        roll = rng.random() * (self.book + self.cancel + self.emergency)
        if roll < self.book:
            return Op.BOOK
        return Op.CANCEL if roll < self.book + self.cancel else Op.EMERGENCY


@dataclass(frozen=True, slots=True)
class Sample:
    op: Op
    started: float  # monotonic; the scheduled start in open loop
    finished: float
    outcome: Outcome

    @property
    def latency(self) -> float:
        return self.finished - self.started


@dataclass
class Run:
    """Everything a load run did: samples in completion order, and the ids of commands the allocator got."""

    samples: list[Sample] = field(default_factory=list)
    accepted: set[UUID] = field(default_factory=set)
    began: float = 0.0
    ended: float = 0.0

    @property
    def seconds(self) -> float:
        return max(self.ended - self.began, 1e-9)


class Workload:
    """Chooses each request: a doctor, a patient, an operation; remembers tokens it may cancel later."""

    def __init__(self, transport: Transport, doctors: list[str], day: date, mix: Mix, seed: int = 7) -> None:
        self.transport = transport
        self.doctors = doctors
        self.day = day
        self.mix = mix
        self.rng = random.Random(seed)
        self.cancellable: list[tuple[str, str]] = []
        self.patients = 0
        self.run = Run()

    def _patient(self, source: str) -> Patient:
        self.patients += 1
        return Patient(name=f"Bench Patient {self.patients}", age=1 + self.patients % 90, source=source)

    async def one(self, started: float | None = None) -> None:
        """Send one request and record it; ``started`` is the scheduled start (open loop)."""
        started = time.monotonic() if started is None else started
        op = self.mix.pick(self.rng)
        if op is Op.CANCEL and not self.cancellable:
            op = Op.BOOK
        if op is Op.CANCEL:
            index = self.rng.randrange(len(self.cancellable))
            self.cancellable[index], self.cancellable[-1] = self.cancellable[-1], self.cancellable[index]
            doctor_id, token_id = self.cancellable.pop()
            outcome = await self.transport.cancel(doctor_id, token_id)
        else:
            doctor_id = self.rng.choice(self.doctors)
            if op is Op.BOOK:
                outcome = await self.transport.book(
                    doctor_id, self._patient(self.rng.choice(REGULAR_SOURCES)), self.day
                )
            else:
                outcome = await self.transport.emergency(doctor_id, self._patient("emergency"), self.day)
            if outcome.ok and outcome.token_id:
                self.cancellable.append((doctor_id, outcome.token_id))
        if outcome.accepted:
            self.run.accepted.add(outcome.command_id)
        self.run.samples.append(Sample(op, started, time.monotonic(), outcome))


async def closed_loop(workload: Workload, clients: int, seconds: float) -> Run:
    """``clients`` concurrent clients, each waiting for its answer before sending again."""
    run = workload.run
    run.began = time.monotonic()
    deadline = run.began + seconds

    async def client() -> None:
        while time.monotonic() < deadline:
            await workload.one()

    await asyncio.gather(*(client() for _ in range(clients)))
    run.ended = time.monotonic()
    return run


async def open_loop(workload: Workload, rate: float, seconds: float, max_in_flight: int = 5000) -> Run:
    """Start ``rate`` requests per second for ``seconds``, then wait for the last answers."""
    run = workload.run
    run.began = time.monotonic()
    slots = asyncio.Semaphore(max_in_flight)
    tasks: set[asyncio.Task[None]] = set()

    async def request(scheduled: float) -> None:
        try:
            await workload.one(scheduled)
        finally:
            slots.release()

    total = int(rate * seconds)
    for n in range(total):
        scheduled = run.began + n / rate
        delay = scheduled - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        await slots.acquire()
        task = asyncio.create_task(request(scheduled))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    await asyncio.gather(*tasks)
    run.ended = time.monotonic()
    return run
