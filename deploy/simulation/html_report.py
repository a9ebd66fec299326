"""The run as one self-contained HTML page: summary table, per doctor the queue length and utilization over the
day (one line per policy played), the slot schedules, and the timeline when there is one."""

from collections.abc import Sequence
from html import escape
from pathlib import Path

from deploy.simulation.record import DayRecord, DoctorSheet
from deploy.simulation.series import day_span, queue_length, utilization
from deploy.simulation.svg import COLOURS, Line, chart

STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #222; max-width: 1000px; }
table { border-collapse: collapse; margin: .5rem 0 1rem; font-size: .9rem; }
td, th { border-bottom: 1px solid #ddd; padding: .2rem .6rem; text-align: left; }
.doctor { border-top: 2px solid #eee; padding-top: .5rem; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; } figcaption { font-size: .8rem; color: #555; }
.key { display: inline-block; width: 1rem; height: .3rem; vertical-align: middle; margin: 0 .3rem 0 1rem; }
pre { font-size: .8rem; background: #fafafa; padding: .5rem; overflow-x: auto; }
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
        f'<span class="key" style="background:{colour}"></span>{escape(name)}'
        for colour, (name, _) in zip(COLOURS, runs, strict=False)
    )
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>",
        f"<style>{STYLE}</style></head><body><h1>{escape(title)}</h1>",
        *(f"<p>{escape(line)}</p>" for line in intro),
        "<h2>Summary</h2>",
        _table(summary),
        f"<h2>Doctors</h2><p>{legend}</p>",
    ]
    for index, doctor in enumerate(runs[0][1].doctors):
        queues, busy = [], []
        for name, record in runs:
            mine = [t for t in record.tokens if t.doctor == record.doctors[index].key]
            queues.append(Line(name, queue_length(mine, start, end)))
            busy.append(Line(name, utilization(mine, start, end)))
        parts += [
            f"<section class='doctor'><h3>{escape(doctor.code)} {escape(doctor.name)} — "
            f"{escape(doctor.specialization)}</h3><div class='charts'>",
            "<figure><figcaption>Queue: patients checked in, not yet called</figcaption>"
            f"{chart(f'{doctor.code} queue length', queues, start, end)}</figure>",
            "<figure><figcaption>Utilization: share of each half hour in consultation</figcaption>"
            f"{chart(f'{doctor.code} utilization', busy, start, end, percent=True, steps=True)}</figure></div>",
        ]
        for name, record in runs:
            caption = f"<p>Schedule ({escape(name)})</p>" if len(runs) > 1 else ""
            parts.append(caption + _table(_schedule(record.doctors[index])))
        parts.append("</section>")
    if timeline:
        parts.append("<h2>Timeline</h2><pre>" + escape("\n".join(timeline)) + "</pre>")
    parts.append("</body></html>")
    return "\n".join(parts)


def write(path: Path, page: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page, encoding="utf-8")
    return path.resolve()
