"""``opd bench core``: allocation decisions per second of the pure domain, with no I/O at all.

Commands are built beforehand; only ``handle`` is timed, on workspaces like the allocator's: a batch of 64
commands shares one workspace, whose change set is then dropped (the shell would save it). Two days: an ordinary
OPD day (two slots of 30 seats, a waitlist forms) and a hot day (twelve hourly slots of 500 seats, 250 tokens:
the day is kept small because a decision costs more as the day grows). Bookings, cancellations and emergencies
come at 07:00, before the first slot; walk-ins come once the doctor is seeing patients, the clock moving.
"""

import contextlib
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from itertools import count
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from allocator.domain.context import CommandContext
from allocator.domain.handlers import handle
from allocator.domain.policy import Policy
from allocator.domain.workspace import Changes, Workspace
from deploy.bench.progress import timed_progress
from shared.contracts.commands import (
    AddEmergency,
    AddEmergencyPayload,
    AnyCommand,
    BookToken,
    BookTokenPayload,
    CallNext,
    CallNextPayload,
    CancelToken,
    CancelTokenPayload,
    CreateDoctor,
    CreateDoctorPayload,
)
from shared.contracts.values import SlotTemplate, TokenSource
from shared.errors import Rejection

ZONE = ZoneInfo("Asia/Kolkata")
DAY = date(2026, 1, 5)  # a Monday
NOW = datetime.combine(DAY, clock_time(7, 0), tzinfo=ZONE)  # before the first slot: reserves are held
BATCH = 64
SOURCES = (TokenSource.WALKIN, TokenSource.ONLINE, TokenSource.FOLLOWUP, TokenSource.PRIORITY)


@dataclass(frozen=True, slots=True)
class DayShape:
    name: str
    templates: tuple[SlotTemplate, ...]
    bookings: int  # per doctor, before moving on to the next doctor


OPD_DAY = DayShape(
    "OPD day",
    (
        SlotTemplate(start_time=clock_time(9), end_time=clock_time(13), max_capacity=30, reserved_emergency_slots=2),
        SlotTemplate(start_time=clock_time(14), end_time=clock_time(18), max_capacity=30, reserved_emergency_slots=2),
    ),
    bookings=80,
)


def hourly_slots(first: int, end: int, capacity: int, reserved: int) -> tuple[SlotTemplate, ...]:
    """One slot an hour, from ``first`` o'clock until ``end`` o'clock, each with that capacity and reserve."""
    return tuple(
        SlotTemplate(
            start_time=clock_time(hour),
            end_time=clock_time(hour + 1),
            max_capacity=capacity,
            reserved_emergency_slots=reserved,
        )
        for hour in range(first, end)
    )


HOT_DAY = DayShape("hot day", hourly_slots(8, 20, capacity=500, reserved=5), bookings=250)


def _ctx(command: AnyCommand, now: datetime = NOW, code: str | None = None) -> CommandContext:
    """As the allocator makes it, with the command's own id."""
    return CommandContext(now=now, command_id=command.command_id, doctor_code=code)


def _command(kind: type[AnyCommand], payload: object) -> AnyCommand:
    return kind(command_id=uuid4(), issued_at=NOW, source="bench", payload=payload)


class Desk:
    """One doctor's day in a workspace of its own; commands for it, built ahead of timing."""

    def __init__(self, shape: DayShape, number: int) -> None:
        self.ws = Workspace(Policy(zone=ZONE), new_id=uuid4)
        self.doctor_id = uuid4()
        self.patients = count(1)
        payload = CreateDoctorPayload(
            doctor_id=self.doctor_id, name=f"Dr. Core {number}", specialization="Core", time_slots=shape.templates
        )
        command = _command(CreateDoctor, payload)
        handle(self.ws, command, _ctx(command, code=f"D{number}"))

    def book(self, source: TokenSource) -> AnyCommand:
        n = next(self.patients)
        payload = BookTokenPayload(
            doctor_id=self.doctor_id, patient_name=f"P {n}", patient_age=20 + n % 60, source=source, date=DAY
        )
        return _command(BookToken, payload)

    def emergency(self) -> AnyCommand:
        n = next(self.patients)
        payload = AddEmergencyPayload(doctor_id=self.doctor_id, patient_name=f"E {n}", patient_age=50, date=DAY)
        return _command(AddEmergency, payload)

    def cancel(self, token_id: UUID) -> AnyCommand:
        return _command(CancelToken, CancelTokenPayload(doctor_id=self.doctor_id, token_id=str(token_id)))

    def call_next(self) -> AnyCommand:
        return _command(CallNext, CallNextPayload(doctor_id=self.doctor_id, date=DAY))

    def active_tokens(self) -> list[UUID]:
        return [t.id for day in self.ws.days.values() for t in day.tokens if t.status.is_active]


def decide(desk: Desk, commands: list[AnyCommand], start: datetime = NOW, step: timedelta = timedelta(0)) -> float:
    """Time ``handle`` over the commands, a fresh change set per batch; refusals are decisions too. The clock
    reads ``start`` for the first command and moves ``step`` for each next one."""
    contexts = [_ctx(command, start + n * step) for n, command in enumerate(commands)]
    elapsed = 0.0
    for first in range(0, len(commands), BATCH):
        desk.ws.changes = Changes()
        began = time.perf_counter()
        for command, ctx in zip(commands[first : first + BATCH], contexts[first : first + BATCH], strict=True):
            with contextlib.suppress(Rejection):
                handle(desk.ws, command, ctx)
        elapsed += time.perf_counter() - began
    return elapsed


def _fill(desk: Desk, shape: DayShape, rng: random.Random) -> None:
    decide(desk, [desk.book(rng.choice(SOURCES)) for _ in range(shape.bookings)])


Scenario = Callable[[Desk, DayShape, random.Random], float]


def _bookings(desk: Desk, shape: DayShape, rng: random.Random) -> float:
    return decide(desk, [desk.book(rng.choice(SOURCES)) for _ in range(shape.bookings)])


def _cancellations(desk: Desk, shape: DayShape, rng: random.Random) -> float:
    _fill(desk, shape, rng)
    tokens = desk.active_tokens()
    rng.shuffle(tokens)
    return decide(desk, [desk.cancel(token) for token in tokens[: len(tokens) // 2]])


def _emergencies(desk: Desk, shape: DayShape, rng: random.Random) -> float:
    _fill(desk, shape, rng)
    return decide(desk, [desk.emergency() for _ in range(20)])


def _walk_ins(desk: Desk, shape: DayShape, rng: random.Random) -> float:
    """Half the day booked ahead; then, the doctor seeing the first patient, a walk-in every 10 s."""
    decide(desk, [desk.book(rng.choice(SOURCES)) for _ in range(shape.bookings // 2)])
    opening = datetime.combine(DAY, shape.templates[0].start_time, tzinfo=ZONE)
    decide(desk, [desk.call_next()], start=opening)
    walk_ins = [desk.book(TokenSource.WALKIN) for _ in range(shape.bookings // 2)]
    return decide(desk, walk_ins, start=opening + timedelta(minutes=1), step=timedelta(seconds=10))


SCENARIOS: dict[str, tuple[Scenario, Callable[[DayShape], int]]] = {
    "book": (_bookings, lambda shape: shape.bookings),
    "cancel": (_cancellations, lambda shape: shape.bookings // 2),
    "emergency": (_emergencies, lambda shape: 20),
    "walk-in": (_walk_ins, lambda shape: shape.bookings // 2),
}


def _reporting(advance: Callable[[float, str], None], label: str) -> Callable[[float], None]:
    """Tell the progress bar of each round's timed seconds, under ``label``."""
    return lambda took: advance(took, label)


def measure(
    scenario: Scenario,
    decisions: Callable[[DayShape], int],
    shape: DayShape,
    seconds: float,
    timed: Callable[[float], None] = lambda seconds: None,
) -> tuple[int, float]:
    """Run the scenario on fresh doctors until ``seconds`` of timed decisions; (decisions, timed seconds).
    ``timed`` hears of each round's timed seconds (for a progress bar)."""
    rng = random.Random(11)
    doctors: Iterator[int] = count(1)
    done, elapsed = 0, 0.0
    while elapsed < seconds:
        took = scenario(Desk(shape, next(doctors)), shape, rng)
        timed(min(took, seconds - elapsed))
        elapsed += took
        done += decisions(shape)
    return done, elapsed


def run_core(seconds: float) -> None:
    shapes = (OPD_DAY, HOT_DAY)
    print(f"{'day':<8} {'operation':<10} {'decisions':>9} {'timed s':>8} {'per s':>9} {'µs each':>8}")
    with timed_progress(seconds * len(shapes) * len(SCENARIOS)) as advance:
        for shape in shapes:
            for name, (scenario, decisions) in SCENARIOS.items():
                label = f"{shape.name} {name}"
                done, elapsed = measure(scenario, decisions, shape, seconds, _reporting(advance, label))
                rate, each = done / elapsed, 1e6 * elapsed / done
                print(f"{shape.name:<8} {name:<10} {done:>9} {elapsed:>8.2f} {rate:>9.0f} {each:>8.1f}")
