"""Printing a run: per operation, how many, how they ended, throughput, latency percentiles."""

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence

from deploy.bench.invariants import Violation
from deploy.bench.load import Op, Run, Sample


def percentiles(values: Sequence[float]) -> tuple[float, float, float, float]:
    """p50, p95, p99 and the maximum (inclusive method: a percentile never exceeds the maximum)."""
    if not values:
        return (0.0, 0.0, 0.0, 0.0)
    if len(values) == 1:
        return values[0], values[0], values[0], values[0]
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98], max(values)


def _row(name: str, samples: list[Sample], seconds: float) -> str:
    ok = sum(1 for s in samples if s.outcome.ok)
    failed = sum(1 for s in samples if s.outcome.failed)
    refused = len(samples) - ok - failed
    p50, p95, p99, top = (1000 * v for v in percentiles([s.latency for s in samples]))
    return (
        f"{name:<10} {len(samples):>8} {ok:>8} {refused:>8} {failed:>7} {len(samples) / seconds:>9.1f}"
        f" {p50:>8.1f} {p95:>8.1f} {p99:>8.1f} {top:>8.1f}"
    )


def print_run(title: str, run: Run) -> None:
    print(f"\n{title}: {len(run.samples)} requests in {run.seconds:.1f} s")
    print(f"{'operation':<10} {'count':>8} {'ok':>8} {'refused':>8} {'failed':>7} {'per s':>9} "
          f"{'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")  # fmt: skip
    for op in Op:
        samples = [s for s in run.samples if s.op is op]
        if samples:
            print(_row(op.value, samples, run.seconds))
    print(_row("all", run.samples, run.seconds))
    codes = Counter(s.outcome.code for s in run.samples if not s.outcome.ok)
    if codes:
        print("not ok: " + ", ".join(f"{code} {n}" for code, n in codes.most_common()))


def print_violations(violations: Iterable[Violation]) -> bool:
    """Print the invariant check; True when nothing was violated."""
    found = list(violations)
    if not found:
        print("invariants: all hold")
        return True
    for violation in found:
        print(f"VIOLATION {violation}")
    return False
