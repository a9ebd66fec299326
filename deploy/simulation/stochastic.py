"""``opd simulate --doctors N --patients N --seed S [--compare KIND]``: the stochastic day, played through the
allocation domain on a virtual clock; prints the day, the doctors, the summary (or the comparison of two policies)
and writes the HTML report."""

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from deploy.simulation.day_model import DayConfig, DayScript, generate_day
from deploy.simulation.day_player import play
from deploy.simulation.doctor_table import doctor_rows
from deploy.simulation.html_report import render, write
from deploy.simulation.policies import PlayPolicy, compare_policies
from deploy.simulation.record import DayRecord
from deploy.simulation.summary import comparison, rows, summarize, table


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
    print(table(doctor_rows(record)))
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
