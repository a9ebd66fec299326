"""The run as one self-contained HTML page: the summary, one overview chart of every doctor (utilization and
peak queue, a bar per policy played), the per-doctor table, then per doctor (folded, so twenty doctors do not
make a page of thousands of pixels) the queue and utilization over the day and the slot schedules, and the
timeline when there is one."""

from collections.abc import Sequence
from datetime import datetime
from html import escape
from pathlib import Path

from deploy.simulation.doctor_table import doctor_rows
from deploy.simulation.record import DayRecord, DoctorSheet
from deploy.simulation.series import day_span, queue_length, utilization
from deploy.simulation.summary import summarize
from deploy.simulation.svg import COLOURS, Line, bars, chart

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; max-width: 1200px; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .95rem; }
td, th { border-bottom: 1px solid #ddd; padding: .25rem .7rem; text-align: left; }
details.doctor { border-top: 2px solid #eee; padding: .4rem 0; }
details.doctor > summary { cursor: pointer; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; overflow-x: auto; } figcaption { font-size: .95rem; color: #444; margin-bottom: .2rem; }
.key { display: inline-block; width: 1.6rem; vertical-align: middle; margin: 0 .3rem 0 1rem; }
pre { font-size: .85rem; background: #fafafa; padding: .5rem; overflow-x: auto; }
"""


def _table(rows: Sequence[Sequence[str]], header: bool = True) -> str:
    body = []
    for index, row in enumerate(rows):
        cell = "th" if header and index == 0 else "td"
        body.append("<tr>" + "".join(f"<{cell}>{escape(value)}</{cell}>" for value in row) + "</tr>")
    return "<table>" + "".join(body) + "</table>"


def _schedule(doctor: DoctorSheet) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [("slot", "seats used / capacity", "reserved", "overflow", "waitlist", "status")]
    for slot in doctor.slots:
        overflow = "used" if slot.overflow_used else "free"
        used = f"{slot.seats_used}/{slot.capacity}"
        rows.append((slot.label, used, str(slot.reserved), overflow, str(slot.waitlist), slot.status))
    return rows


def render(
    title: str,
    intro: Sequence[str],
    summary: Sequence[Sequence[str]],
    runs: Sequence[tuple[str, DayRecord]],
    timeline: Sequence[str] = (),
) -> str:
    """``runs``: (policy name, record) pairs of the same day; each is one line in every chart."""
    start, end = day_span(runs[0][1])
    for _, record in runs[1:]:
        other_start, other_end = day_span(record)
        start, end = min(start, other_start), max(end, other_end)
    legend = "".join(
        f'<span class="key" style="border-top: 4px {line} {colour}"></span>{escape(name)}'
        for colour, line, (name, _) in zip(COLOURS, ("solid", "dashed", "dotted"), runs, strict=False)
    )
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>",
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>",
        *(f"<p>{escape(line)}</p>" for line in intro),
        "<h2>Summary</h2>",
        _table(summary),
        f"<h2>All doctors</h2><p>{legend}</p>",
        _overview(runs, start, end),
    ]
    for name, record in runs:
        caption = f" ({escape(name)})" if len(runs) > 1 else ""
        parts += [f"<h3>Per doctor{caption}</h3>", _table(doctor_rows(record))]
    parts.append(f"<h2>Each doctor's day</h2><p>{legend}</p>")
    parts += [_doctor(index, doctor, runs, start, end) for index, doctor in enumerate(runs[0][1].doctors)]
    if timeline:
        parts.append("<h2>Timeline</h2><pre>" + escape("\n".join(timeline)) + "</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _overview(runs: Sequence[tuple[str, DayRecord]], start: datetime, end: datetime) -> str:
    """Utilization and peak queue of every doctor, a bar per policy."""
    codes = [doctor.code for doctor in runs[0][1].doctors]
    busy, peaks = [], []
    for name, record in runs:
        share = dict(summarize(record).utilization_by_doctor)
        busy.append(Line(name, [(start, share[code]) for code in codes]))
        peak = []
        for doctor in record.doctors:
            mine = [t for t in record.tokens if t.doctor == doctor.key]
            peak.append((start, max((n for _, n in queue_length(mine, start, end)), default=0.0)))
        peaks.append(Line(name, peak))
    return (
        "<div class='charts'><figure><figcaption>Utilization: share of the doctor's slots in consultation"
        f"</figcaption>{bars('utilization per doctor', codes, busy, percent=True)}</figure>"
        "<figure><figcaption>Peak queue: most patients checked in and waiting at once</figcaption>"
        f"{bars('peak queue per doctor', codes, peaks)}</figure></div>"
    )


def _doctor(
    index: int, doctor: DoctorSheet, runs: Sequence[tuple[str, DayRecord]], start: datetime, end: datetime
) -> str:
    """One doctor's charts over the day and schedules, folded."""
    queues, busy = [], []
    for name, record in runs:
        mine = [t for t in record.tokens if t.doctor == record.doctors[index].key]
        queues.append(Line(name, queue_length(mine, start, end)))
        busy.append(Line(name, utilization(mine, start, end)))
    parts = [
        f"<details class='doctor'><summary>{escape(doctor.code)} {escape(doctor.name)} — "
        f"{escape(doctor.specialization)}</summary><div class='charts'>",
        "<figure><figcaption>Queue: patients checked in, not yet called</figcaption>"
        f"{chart(f'{doctor.code} queue length', queues, start, end)}</figure>",
        "<figure><figcaption>Utilization: share of each half hour in consultation</figcaption>"
        f"{chart(f'{doctor.code} utilization', busy, start, end, percent=True, steps=True)}</figure></div>",
    ]
    for name, record in runs:
        caption = f"<p>Schedule ({escape(name)})</p>" if len(runs) > 1 else ""
        parts.append(caption + _table(_schedule(record.doctors[index])))
    parts.append("</details>")
    return "".join(parts)


def write(path: Path, page: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path.resolve()
