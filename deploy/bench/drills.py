"""Fault drills: a fault in the middle of an AMQP load, then the invariant check, lost/doubled commands, and the
time to recover.

Recovery: requests are grouped by start time into windows of ``WINDOW`` seconds; a window is slow when its median
latency exceeds ``SLOW_FACTOR`` times the median before the fault and ``SLOW_FLOOR``. Recovery ends at the last
answer of the slow windows that precede the first ``SETTLED`` seconds of consecutive windows that are not slow.
Slow windows after that are not the fault's doing: late in a drill the small days are full and, with two
allocators on two cores (``fencing``), latency drifts up. Every drill's fault shows at once (a process dies or
stops, a connection drops), well within ``SETTLED``. The load is small and spread (small days, every shard) so
that latency stays flat without a fault. The client behaves like a kiosk: no answer within ``REPLY_TIMEOUT``
seconds, it sends the same command id again.

- ``kill``: SIGKILL the allocator, start a new one at once.
- ``failover``: an active and a standby allocator; SIGKILL the active one; the standby's single-active-consumer
  subscriptions take over and it bumps every shard's epoch (fencing).
- ``fencing``: freeze the active allocator (SIGSTOP), drop its broker connections so the standby takes over,
  then let the old one run again (SIGCONT): it must not commit anything under its stale epoch.
- ``postgres``: restart the PostgreSQL server.
- ``broker``: RabbitMQ closes every connection of the services and of the load client.
"""

import asyncio
import logging
import os
import signal
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from deploy.bench import faults
from deploy.bench.invariants import Violation, check_invariants, exactly_once, wait_for_outcomes, wait_settled
from deploy.bench.load import Mix, Run, Sample, Workload, open_loop
from deploy.bench.report import percentiles
from deploy.bench.services import Stack, bench_stack
from deploy.bench.shapes import Shape, ShapeName, SlotSpec
from deploy.bench.transports import AmqpTransport
from shared import db
from shared.command_bus import CommandBus
from shared.settings import CommonSettings

# About 18 bookings per doctor in a 12 s drill at 200/s: small waitlists, so cancellations promote someone. One
# specialization each: no colleagues to suggest, whose days would be read for every waitlisted booking.
DRILL_SHAPE = Shape(
    ShapeName.SPREAD,
    doctors=100,
    slots=(SlotSpec("09:00", "13:00", 8, 1), SlotSpec("14:00", "18:00", 8, 1)),
    specializations=100,
)
ACTIVE, STANDBY = "allocator-a", "allocator-b"
WINDOW, SLOW_FACTOR, SLOW_FLOOR, SETTLED = 0.25, 3.0, 0.25, 2.0
REPLY_TIMEOUT = 2.0
STALE_COMMITS = """SELECT i.command_id::text AS example FROM inbox i JOIN shard_leases l USING (shard)
                    WHERE i.epoch < l.epoch AND i.processed_at > l.acquired_at"""


@dataclass
class DrillResult:
    name: str
    run: Run
    fault_at: float
    note: str = ""
    violations: list[Violation] = field(default_factory=list)

    @property
    def recovery_seconds(self) -> float | None:
        """From the fault to the last answer of the slow windows before the service settled (0 when none was
        slow); None when answers never came."""
        if self.unanswered:
            return None
        before = [s.latency for s in self.run.samples if s.finished < self.fault_at]
        limit = max(SLOW_FLOOR, SLOW_FACTOR * statistics.median(before)) if before else SLOW_FLOOR
        windows: dict[int, list[Sample]] = {}
        for sample in self.run.samples:
            if sample.finished >= self.fault_at:
                windows.setdefault(int((sample.started - self.fault_at) // WINDOW), []).append(sample)
        slow: list[Sample] = []
        calm = 0  # consecutive windows that are not slow
        for index in sorted(windows):
            if statistics.median(s.latency for s in windows[index]) > limit:
                slow += windows[index]
                calm = 0
            elif (calm := calm + 1) * WINDOW >= SETTLED:
                break
        return max(s.finished for s in slow) - self.fault_at if slow else 0.0

    @property
    def unanswered(self) -> int:
        return sum(1 for s in self.run.samples if s.outcome.failed)


Strike = Callable[[], None]  # marks the instant the fault takes effect
Inject = Callable[[Stack, Strike], Awaitable[str]]


async def _kill(stack: Stack, strike: Strike) -> str:
    strike()
    stack.kill(ACTIVE)
    stack.start(f"{ACTIVE}-restarted", "allocator")
    return "allocator SIGKILLed and restarted"


async def _failover(stack: Stack, strike: Strike) -> str:
    strike()
    stack.kill(ACTIVE)
    return "active allocator SIGKILLed; standby takes over"


async def _fencing(stack: Stack, strike: Strike) -> str:
    zombie = stack.processes[ACTIVE]
    strike()
    zombie.send_signal(signal.SIGSTOP)
    try:
        closed = await faults.drop_broker_connections([zombie.pid], _broker_port(stack), lambda: None)
        await asyncio.sleep(3.0)
    finally:
        zombie.send_signal(signal.SIGCONT)
    return f"active allocator frozen 3 s, its {closed} broker connection(s) closed, then resumed"


async def _postgres(stack: Stack, strike: Strike) -> str:
    strike()
    await faults.restart_postgres()
    return "PostgreSQL restarted (fast shutdown)"


async def _broker(stack: Stack, strike: Strike) -> str:
    pids = [process.pid for process in stack.processes.values()] + [os.getpid()]
    closed = await faults.drop_broker_connections(pids, _broker_port(stack), strike)
    return f"{closed} broker connection(s) closed"


def _broker_port(stack: Stack) -> int:
    return urlsplit(stack.amqp_url).port or 5672


DRILLS: dict[str, Inject] = {
    "kill": _kill,
    "failover": _failover,
    "fencing": _fencing,
    "postgres": _postgres,
    "broker": _broker,
}
WITH_STANDBY = {"failover", "fencing"}


async def _leases(stack: Stack) -> dict[int, str]:
    connection = await db.connect(stack.dsn)
    try:
        rows = await connection.fetch("SELECT shard, holder FROM shard_leases")
    finally:
        await connection.close()
    return {row["shard"]: row["holder"] for row in rows}


async def _wait_active(stack: Stack, holder: str, timeout: float = 20.0) -> None:
    """Until ``holder`` has taken every shard's lease (ticks reach every shard within a second)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while set((await _leases(stack)).values()) != {holder} or len(await _leases(stack)) < stack.shard_count:
        if loop.time() > deadline:
            raise TimeoutError(f"{holder} did not take every shard within {timeout:.0f}s")
        await asyncio.sleep(0.2)


async def _stale_commits(stack: Stack) -> list[Violation]:
    connection = await db.connect(stack.dsn)
    try:
        rows = await connection.fetch(STALE_COMMITS)
    finally:
        await connection.close()
    if not rows:
        return []
    return [
        Violation("committed under a stale epoch after a takeover", len(rows), tuple(r["example"] for r in rows[:3]))
    ]


async def run_drill(stack: Stack, name: str, rate: float, seconds: float, fault_after: float) -> DrillResult:
    """Start the services on ``stack`` (fresh database and prefix), load them, inject the fault, check."""
    stack.extra_env.setdefault("OPD_TICK_SECONDS", "0.5")
    stack.start(ACTIVE, "allocator")
    stack.start("notifier")
    bus = CommandBus(stack.amqp_url, stack.topology, "opd-bench-drill", publish_timeout=10.0)
    transport = AmqpTransport(bus, reply_timeout=REPLY_TIMEOUT, give_up_seconds=60.0)
    try:
        doctors = [await transport.create_doctor(DRILL_SHAPE.doctor_body(n)) for n in range(1, DRILL_SHAPE.doctors + 1)]
        if name in WITH_STANDBY:
            await _wait_active(stack, ACTIVE)
            stack.start(STANDBY, "allocator")
            await asyncio.sleep(1.0)  # subscribed, waiting as the single-active-consumer standby
        tomorrow = datetime.now(CommonSettings().zone).date() + timedelta(days=1)
        workload = Workload(transport, doctors, tomorrow, Mix())
        result = DrillResult(name, workload.run, fault_at=0.0)

        def strike() -> None:
            result.fault_at = time.monotonic()

        async def inject() -> None:
            await asyncio.sleep(fault_after)
            result.note = await DRILLS[name](stack, strike)

        fault = asyncio.create_task(inject())
        await open_loop(workload, rate, seconds)
        await fault
        exited = {service: p.returncode for service, p in stack.processes.items() if p.poll() is not None}
        if not await wait_for_outcomes(stack.dsn, workload.run.accepted):
            result.note += "; some accepted commands have no outcome after 60 s"
        if not await wait_settled(stack.dsn):
            result.note += "; events not settled within 30 s"
        result.violations = (
            await check_invariants(stack.dsn) + await exactly_once(stack.dsn, workload.run.accepted)
        ) + await _stale_commits(stack)
        if exited:
            result.violations.append(Violation(f"service process exited during the drill: {exited}", len(exited)))
        if name in WITH_STANDBY:
            holders = set((await _leases(stack)).values())
            if holders != {STANDBY}:
                result.violations.append(Violation(f"shards not all taken over by the standby: {holders}", 1))
        return result
    finally:
        await transport.close()
        stack.stop()


def print_drills(results: list[DrillResult]) -> bool:
    print(f"\n{'drill':<9} {'sent':>6} {'accepted':>8} {'unanswered':>10} {'recovery s':>10} {'p99 ms':>8} "
          f"{'max ms':>8}  violations")  # fmt: skip
    clean = True
    for r in results:
        recovery = f"{r.recovery_seconds:.2f}" if r.recovery_seconds is not None else "never"
        _, _, p99, top = percentiles([s.latency for s in r.run.samples])
        verdict = "none" if not r.violations else "; ".join(str(v) for v in r.violations)
        clean = clean and not r.violations and r.recovery_seconds is not None
        print(
            f"{r.name:<9} {len(r.run.samples):>6} {len(r.run.accepted):>8} {r.unanswered:>10} {recovery:>10}"
            f" {1000 * p99:>8.0f} {1000 * top:>8.0f}  {verdict}"
        )
        print(f"{'':<9} {r.note}")
    return clean


async def run_drills(names: list[str], rate: float, seconds: float) -> int:
    """Each drill on a fresh ``opd_bench`` database and broker namespace; exit code 0 when all are clean."""
    logging.getLogger("aiormq").setLevel(logging.CRITICAL)  # the broker drill closes our connection on purpose
    results = []
    for name in names:
        stack = await bench_stack()
        print(f"drill {name}: {rate:g} requests/s for {seconds:g} s, fault after {seconds / 3:.1f} s ...", flush=True)
        results.append(await run_drill(stack, name, rate, seconds, fault_after=seconds / 3))
    return 0 if print_drills(results) else 1
