"""What patients were told: messages per patient seen, and how far the time they were last told was from the
time they were called, as it stood at booking, after the day-of update and at check-in (the desk tells it)."""

import math
import statistics
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from deploy.simulation.record import DayRecord, TokenEvent, TokenFact

CHECKED_IN = "token.checked_in"
Spread = tuple[float, float]  # (median, p90)


@dataclass(frozen=True, slots=True)
class Told:
    messages: Spread | None  # messages per patient seen
    at_booking: Spread | None  # minutes between the time told and the time called
    at_day_update: Spread | None
    at_check_in: Spread | None


def _spread(values: list[float]) -> Spread | None:
    if not values:
        return None
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]  # nearest rank


def _last_told(events: list[TokenEvent], until: datetime) -> datetime | None:
    told = [e.eta for e in events if e.messaged and e.eta is not None and e.at <= until]
    return told[-1] if told else None


def _off(called: datetime, eta: datetime | None) -> list[float]:
    """The error in minutes, as a list of one (none when nothing was told)."""
    return [abs((called - eta).total_seconds()) / 60] if eta is not None else []


def _errors(record: DayRecord, seen: list[TokenFact], by_token: dict[str, list[TokenEvent]]) -> list[list[float]]:
    booking: list[float] = []
    day_update: list[float] = []
    check_in: list[float] = []
    for token in seen:
        called, events = token.called_at, by_token[token.number]
        if called is None:
            continue
        booking += _off(called, next((e.eta for e in events if e.messaged), None))
        if record.day_update is not None and events and events[0].at < record.day_update:
            day_update += _off(called, _last_told(events, record.day_update))
        arrived = [e.eta for e in events if e.type == CHECKED_IN and e.at == token.arrived_at]
        check_in += _off(called, arrived[-1] if arrived else None)
    return [booking, day_update, check_in]


def told(record: DayRecord) -> Told:
    """Over the patients seen; figures without any event that carries them are None."""
    by_token: dict[str, list[TokenEvent]] = defaultdict(list)
    for event in record.events:
        by_token[event.token].append(event)
    seen = [t for t in record.tokens if t.status == "completed"]
    counts = [sum(e.messaged for e in by_token[t.number]) for t in seen]
    booking, day_update, check_in = _errors(record, seen, by_token)
    messages = _spread([float(c) for c in counts]) if any(counts) else None
    return Told(messages, _spread(booking), _spread(day_update), _spread(check_in))
