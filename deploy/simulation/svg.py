"""Small inline SVG line charts (no library, no network): time on x, one coloured line per series."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from deploy.simulation.series import Series

WIDTH, HEIGHT = 460, 150
LEFT, RIGHT, TOP, BOTTOM = 34, 16, 10, 20
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")


@dataclass(frozen=True, slots=True)
class Line:
    name: str
    points: Series


def _nice_top(value: float) -> float:
    """A round axis maximum at or above the value (1, 2, 5, 10, 20, ...)."""
    if value <= 1:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return float(next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value))


def chart(
    title: str, lines: Sequence[Line], start: datetime, end: datetime, *, percent: bool = False, steps: bool = False
) -> str:
    """An SVG element: the lines over [start, end], y from 0 to a round maximum, hours (half hours) marked on x.

    ``steps``: each value holds until the next point (the last one until ``end``).
    """
    top = 1.0 if percent else _nice_top(max((y for line in lines for _, y in line.points), default=0.0))
    span = (end - start).total_seconds() or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(instant: datetime) -> float:
        return LEFT + plot_w * (instant - start).total_seconds() / span

    def y(value: float) -> float:
        return TOP + plot_h * (1 - min(value, top) / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" font-family="sans-serif" font-size="10">'
    ]
    for fraction in (0, 0.5, 1):
        level = top * fraction
        label = f"{level:.0%}" if percent else f"{level:g}"
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(level):.1f}" y2="{y(level):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y(level) + 3:.1f}" text-anchor="end" fill="#555">{label}</text>')
    step = timedelta(hours=1) if end - start > timedelta(hours=3) else timedelta(minutes=30)
    mark = start.replace(minute=0, second=0, microsecond=0)
    while mark <= start:
        mark += step
    while mark <= end:
        parts.append(f'<line x1="{x(mark):.1f}" x2="{x(mark):.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#eee"/>')
        parts.append(f'<text x="{x(mark):.1f}" y="{HEIGHT - 6}" text-anchor="middle" fill="#555">{mark:%H:%M}</text>')
        mark += step
    for colour, line in zip(COLOURS, lines, strict=False):
        corners = []
        for (at, value), following in zip(line.points, [*line.points[1:], (end, 0.0)], strict=True):
            corners.append(f"{x(at):.1f},{y(value):.1f}")
            if steps:
                corners.append(f"{x(following[0]):.1f},{y(value):.1f}")
        path = " ".join(corners)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="1.5" points="{path}">'
            f"<title>{escape(line.name)}</title></polyline>"
        )
    parts.append("</svg>")
    return "".join(parts)
