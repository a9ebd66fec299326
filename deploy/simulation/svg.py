"""Inline SVG charts (no library, no network): lines over the day, one per policy, and bars per doctor.

Axis text is 13 px, and the lines of two policies differ in colour and dash, the first drawn wider, so one
never hides the other where they run together.
"""

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

from deploy.simulation.series import Series

WIDTH, HEIGHT = 560, 210
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 12, 30
FONT = 13
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd")
STROKES = ('stroke-width="4" stroke-opacity="0.55"', 'stroke-width="2" stroke-dasharray="6 3"', 'stroke-width="2"')


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


def _frame(title: str, width: int, top: float, percent: bool, y: Callable[[float], float]) -> list[str]:
    """The SVG element's opening and the y axis: grid lines and labels at 0, half and the top."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" font-family="sans-serif" font-size="{FONT}">'
    ]
    for fraction in (0, 0.5, 1):
        level = top * fraction
        label = f"{level:.0%}" if percent else f"{level:g}"
        parts.append(f'<line x1="{LEFT}" x2="{width - RIGHT}" y1="{y(level):.1f}" y2="{y(level):.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{LEFT - 4}" y="{y(level) + 4:.1f}" text-anchor="end" fill="#555">{label}</text>')
    return parts


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

    parts = _frame(title, WIDTH, top, percent, y)
    step = timedelta(hours=1) if end - start > timedelta(hours=3) else timedelta(minutes=30)
    mark = start.replace(minute=0, second=0, microsecond=0)
    while mark <= start:
        mark += step
    while mark <= end:
        parts.append(f'<line x1="{x(mark):.1f}" x2="{x(mark):.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}" stroke="#eee"/>')
        parts.append(f'<text x="{x(mark):.1f}" y="{HEIGHT - 8}" text-anchor="middle" fill="#555">{mark:%H:%M}</text>')
        mark += step
    for colour, stroke, line in zip(COLOURS, STROKES, lines, strict=False):
        corners = []
        for (at, value), following in zip(line.points, [*line.points[1:], (end, 0.0)], strict=True):
            corners.append(f"{x(at):.1f},{y(value):.1f}")
            if steps:
                corners.append(f"{x(following[0]):.1f},{y(value):.1f}")
        path = " ".join(corners)
        parts.append(
            f'<polyline fill="none" stroke="{colour}" {stroke} points="{path}">'
            f"<title>{escape(line.name)}</title></polyline>"
        )
    parts.append("</svg>")
    return "".join(parts)


def bars(title: str, labels: Sequence[str], series: Sequence[Line], *, percent: bool = False) -> str:
    """An SVG element: for each label (a doctor) one bar per series (a policy), side by side; ``Line.points``
    holds one value per label, in order (their instants are not used)."""
    values = [value for line in series for _, value in line.points]
    top = 1.0 if percent else _nice_top(max(values, default=0.0))
    width = max(WIDTH, LEFT + RIGHT + 34 * len(labels))
    plot_w, plot_h = width - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(1, len(labels))
    bar = slot * 0.8 / max(1, len(series))

    def y(value: float) -> float:
        return TOP + plot_h * (1 - min(value, top) / top)

    parts = _frame(title, width, top, percent, y)
    for index, label in enumerate(labels):
        left = LEFT + slot * index + slot * 0.1
        centre = left + slot * 0.4
        parts.append(f'<text x="{centre:.1f}" y="{HEIGHT - 8}" text-anchor="middle" fill="#555">{escape(label)}</text>')
        for number, (colour, line) in enumerate(zip(COLOURS, series, strict=False)):
            value = line.points[index][1]
            shown = f"{value:.0%}" if percent else f"{value:g}"
            parts.append(
                f'<rect x="{left + bar * number:.1f}" y="{y(value):.1f}" width="{bar:.1f}" '
                f'height="{TOP + plot_h - y(value):.1f}" fill="{colour}">'
                f"<title>{escape(label)} {escape(line.name)}: {shown}</title></rect>"
            )
    parts.append("</svg>")
    return "".join(parts)
