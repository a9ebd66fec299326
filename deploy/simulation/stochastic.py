"""``opd simulate --doctors N --patients N --seed S [--compare KIND]``: the stochastic day, played through the
allocation domain on a virtual clock; prints the day, the doctors, the summary (or the comparison of two policies)
and writes the HTML report."""

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from deploy.simulation.day_model import DayConfig, DayScript, generate_day
from deploy.simulation.day_player import play
from deploy.simulation.html_report import render, write
from deploy.simulation.policies import PlayPolicy, compare_policies
from deploy.simulation.record import DayRecord
from deploy.simulation.series import day_span, queue_length
from deploy.simulation.summary import comparison, rows, summarize, table, wait_minutes


def describe(script: DayScript) -> list[str]:
    """What the script holds: who comes from where, and what will go wrong."""
    sources = Counter(p.source.value for p in script.patients)
    fates = script.fates()
    late_doctors = ", ".join(f"{d.code} {d.late_minutes} min" for d in script.doctors if d.late_minutes)
    config = script.config
    return [
        f"Stochastic OPD day {config.day} (seed {config.seed}): {len(script.doctors)} doctors, "
        f"{len(script.patients)} patients",
        "  by source: " + ", ".join(f"{source} {count}" for source, count in sources.most_common()),
        f"  booked patients who will cancel {fates['cancel']}, never come {fates['never come']}, come after the "
        f"no-show round {fates['come late']}; walk-ins who may leave {fates['may leave']}",
        f"  doctors starting late: {late_doctors or 'none'}",
    ]


def _doctor_rows(record: DayRecord) -> list[tuple[str, ...]]:
    start, end = day_span(record)
    summary = summarize(record)
    share = dict(summary.utilization_by_doctor)
    found: list[tuple[str, ...]] = [
        ("doctor", "specialization", "slots", "tokens", "seen", "util.", "mean wait", "peak queue")
    ]
    for doctor in record.doctors:
        mine = [t for t in record.tokens if t.doctor == doctor.key]
        waits = [w for w in map(wait_minutes, mine) if w is not None]
        peak = max((n for _, n in queue_length(mine, start, end)), default=0)
        found.append(
            (
                f"{doctor.code} {doctor.name}",
                doctor.specialization,
                f"{len(doctor.slots)} x {doctor.slots[0].capacity} (reserve {doctor.slots[0].reserved})",
                str(len(mine)),
                str(sum(1 for t in mine if t.status == "completed")),
                f"{share[doctor.code]:.0%}",
                f"{sum(waits) / len(waits):.0f} min" if waits else "-",
                f"{peak:.0f}",
            )
        )
    return found


def _schedules(record: DayRecord) -> list[str]:
    lines = []
    for doctor in record.doctors:
        cells = [f"{s.label[:5]} {s.seats_used}/{s.capacity}{'+' if s.overflow_used else ''}" for s in doctor.slots]
        lines.append(f"  {doctor.code:<4} " + "  ".join(cells))
    return lines


Figures = Sequence[tuple[str, ...]]


def _compare(script: DayScript, policy: PlayPolicy, spec: str) -> tuple[list[tuple[str, DayRecord]], Figures]:
    (first_name, first), (second_name, second) = compare_policies(spec, policy)
    runs = [(first_name, play(script, first)), (second_name, play(script, second))]
    figures = comparison((first_name, second_name), summarize(runs[0][1]), summarize(runs[1][1]))
    shared = policy.describe(leaving_out=spec.partition(":")[0].strip().lower())
    print(f"The same day under {first_name} and under {second_name} (both with {shared})")
    print(table(figures))
    return runs, figures


def _single(script: DayScript, policy: PlayPolicy) -> tuple[list[tuple[str, DayRecord]], Figures]:
    record = play(script, policy)
    print(f"Doctors ({policy.describe()})")
    print(table(_doctor_rows(record)))
    print("\nSchedules (seats used / capacity per slot, + when the overflow seat was used)")
    print("\n".join(_schedules(record)))
    figures = rows(summarize(record), "notifications (would be sent)")
    print("\nSummary")
    print(table(figures))
    return [(policy.describe(), record)], [("figure", "value"), *figures]


def run_stochastic(config: DayConfig, policy: PlayPolicy, compare: str | None, report: Path) -> int:
    """Generate the day, play it (under one policy, or two to compare), print, write the report."""
    started = time.monotonic()
    script = generate_day(config)
    intro = describe(script)
    print("\n".join(intro) + "\n")
    runs, figures = _compare(script, policy, compare) if compare else _single(script, policy)
    print(f"\nNotifications: {runs[0][1].notes['notifications']}.")
    path = write(report, render("OPD day simulation", intro, figures, runs))
    print(f"Report: {path}")
    print(f"Played in {time.monotonic() - started:.1f} s")
    return 0
