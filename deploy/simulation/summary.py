"""Summary figures of a played day, the same for the live scenario and the stochastic day, as readable tables.

- utilization: minutes in consultation (called → completed) / minutes of the doctor's slots;
- wait: arrival (check-in) → called, over the patients who were seen;
- freed seats: cancellations and no-shows of seated tokens; how many had a patient waiting; how many were taken
  again (see ``freed``);
- notifications: delivered to the webhook sink (live) or what the notifier's templates would send (stochastic);
  per patient seen, and the ETA error (time last told → time called) (see ``told``).
"""

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from deploy.simulation.freed import freed_seats
from deploy.simulation.record import FINAL_STATES, DayRecord, TokenFact
from deploy.simulation.told import Spread, Told, told


@dataclass(frozen=True, slots=True)
class Summary:
    doctors: int
    tokens: int
    turned_away: int
    by_status: tuple[tuple[str, int], ...]
    utilization: float
    utilization_by_doctor: tuple[tuple[str, float], ...]  # (doctor code, utilization)
    seen: int
    mean_wait: float | None
    p90_wait: float | None
    emergency_wait: float | None  # mean, arrival → called
    emergencies_seen: int
    freed: int
    freed_with_waiting: int
    refilled: int
    refilled_with_waiting: int
    notifications: int
    told: Told


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def wait_minutes(token: TokenFact) -> float | None:
    if token.arrived_at is None or token.called_at is None:
        return None
    return max(0.0, (token.called_at - token.arrived_at).total_seconds() / 60)


def consult_minutes(token: TokenFact) -> float:
    if token.called_at is None or token.completed_at is None:
        return 0.0
    return (token.completed_at - token.called_at).total_seconds() / 60


def summarize(record: DayRecord) -> Summary:
    busy: dict[str, float] = defaultdict(float)
    for token in record.tokens:
        busy[token.doctor] += consult_minutes(token)
    by_doctor = tuple((d.code, busy[d.key] / d.session_minutes if d.session_minutes else 0.0) for d in record.doctors)
    session = sum(d.session_minutes for d in record.doctors)
    waits = [w for w in map(wait_minutes, record.tokens) if w is not None]
    urgent = [w for t in record.tokens if t.source == "emergency" and (w := wait_minutes(t)) is not None]
    freed = freed_seats(record.events, record.capacities())
    statuses = Counter(token.status for token in record.tokens)
    order = [*FINAL_STATES, *sorted(set(statuses) - set(FINAL_STATES))]
    return Summary(
        doctors=len(record.doctors),
        tokens=len(record.tokens),
        turned_away=record.turned_away,
        by_status=tuple((status, statuses[status]) for status in order if statuses[status]),
        utilization=sum(busy.values()) / session if session else 0.0,
        utilization_by_doctor=by_doctor,
        seen=statuses["completed"],
        mean_wait=sum(waits) / len(waits) if waits else None,
        p90_wait=percentile(waits, 0.9) if waits else None,
        emergency_wait=sum(urgent) / len(urgent) if urgent else None,
        emergencies_seen=len(urgent),
        freed=len(freed),
        freed_with_waiting=sum(1 for seat in freed if seat.waiting),
        refilled=sum(1 for seat in freed if seat.refilled_by),
        refilled_with_waiting=sum(1 for seat in freed if seat.waiting and seat.refilled_by),
        notifications=record.notifications,
        told=told(record),
    )


def _minutes(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} min"


def rows(summary: Summary, notifications_label: str = "notifications") -> list[tuple[str, str]]:
    """The summary as (figure, value) rows."""
    by_doctor = sorted(summary.utilization_by_doctor, key=lambda item: item[1])
    spread = f" (lowest {by_doctor[0][0]} {by_doctor[0][1]:.0%}, highest {by_doctor[-1][0]} {by_doctor[-1][1]:.0%})"
    return [
        ("doctors / tokens issued", f"{summary.doctors} / {summary.tokens}"),
        ("patients turned away", str(summary.turned_away)),
        ("tokens by final state", ", ".join(f"{status} {count}" for status, count in summary.by_status)),
        ("doctor utilization", f"{summary.utilization:.1%}" + (spread if len(by_doctor) > 1 else "")),
        ("wait, arrival → called", f"mean {_minutes(summary.mean_wait)}, p90 {_minutes(summary.p90_wait)}"),
        ("patients seen", str(summary.seen)),
        ("emergencies seen", f"{summary.emergencies_seen}, mean wait {_minutes(summary.emergency_wait)}"),
        (
            "seats freed (cancel, no-show)",
            f"{summary.freed}; with a patient waiting {summary.freed_with_waiting}, "
            f"of those refilled {summary.refilled_with_waiting}; refilled in all {summary.refilled}",
        ),
        (notifications_label, str(summary.notifications)),
        ("messages per patient seen", _spread(summary.told.messages, "{:.0f}")),
        ("ETA error at booking", _spread(summary.told.at_booking, "{:.1f} min")),
        ("  after the day-of update", _spread(summary.told.at_day_update, "{:.1f} min")),
        ("  at check-in", _spread(summary.told.at_check_in, "{:.1f} min")),
    ]


def _spread(spread: Spread | None, shown: str) -> str:
    return "-" if spread is None else f"median {shown.format(spread[0])}, p90 {shown.format(spread[1])}"


def table(pairs: Sequence[tuple[str, ...]], indent: str = "  ") -> str:
    """Columns padded to their widest cell (the last column is left ragged)."""
    widths = [max(len(row[i]) for row in pairs) for i in range(len(pairs[0]) - 1)]
    return "\n".join(
        indent + "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in pairs
    )


def comparison(names: tuple[str, str], first: Summary, second: Summary) -> list[tuple[str, str, str, str]]:
    """Figure by figure, the two policies and the difference (second minus first)."""

    def figure(label: str, a: float | None, b: float | None, shown: str) -> tuple[str, str, str, str]:
        diff = "-" if a is None or b is None else shown.format(round(b - a, 1) + 0, sign="+")  # + 0: no "-0.0"
        return (
            label,
            "-" if a is None else shown.format(a, sign=""),
            "-" if b is None else shown.format(b, sign=""),
            diff,
        )

    return [
        ("", names[0], names[1], "difference"),
        figure("doctor utilization (%)", first.utilization * 100, second.utilization * 100, "{0:{sign}.1f}"),
        figure("mean wait (min)", first.mean_wait, second.mean_wait, "{0:{sign}.1f}"),
        figure("p90 wait (min)", first.p90_wait, second.p90_wait, "{0:{sign}.1f}"),
        figure("emergency mean wait (min)", first.emergency_wait, second.emergency_wait, "{0:{sign}.1f}"),
        figure("patients seen", first.seen, second.seen, "{0:{sign}d}"),
        figure("patients turned away", first.turned_away, second.turned_away, "{0:{sign}d}"),
        figure("seats freed", first.freed, second.freed, "{0:{sign}d}"),
        figure("  with a patient waiting", first.freed_with_waiting, second.freed_with_waiting, "{0:{sign}d}"),
        figure("    of those refilled", first.refilled_with_waiting, second.refilled_with_waiting, "{0:{sign}d}"),
        figure("seats refilled", first.refilled, second.refilled, "{0:{sign}d}"),
        figure("notifications", first.notifications, second.notifications, "{0:{sign}d}"),
        figure("messages per patient seen, p90", *_p90(first.told.messages, second.told.messages), "{0:{sign}.0f}"),
        figure(
            "ETA error at check-in, p90 (min)", *_p90(first.told.at_check_in, second.told.at_check_in), "{0:{sign}.1f}"
        ),
    ]


def _p90(first: Spread | None, second: Spread | None) -> tuple[float | None, float | None]:
    """The p90 of each of two spreads (None where a run has none)."""
    return (None if first is None else first[1]), (None if second is None else second[1])
