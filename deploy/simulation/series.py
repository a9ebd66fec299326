"""A doctor's day as time series for the charts: queue length and utilization, from the token facts alone."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from deploy.simulation.record import DayRecord, TokenFact

QUEUE_STEP = timedelta(minutes=5)
UTILIZATION_BUCKET = timedelta(minutes=30)

Series = list[tuple[datetime, float]]


def day_span(record: DayRecord) -> tuple[datetime, datetime]:
    """From the first slot or arrival on the day to the last slot end or consultation, on whole half hours."""
    starts = [slot.starts_at for d in record.doctors for slot in d.slots]
    ends = [slot.ends_at for d in record.doctors for slot in d.slots]
    first_slot = min(starts)
    arrivals = [t.arrived_at for t in record.tokens if t.arrived_at and t.arrived_at.date() == first_slot.date()]
    done = [t.completed_at for t in record.tokens if t.completed_at]
    start, end = min([first_slot, *arrivals]), max([*ends, *done])
    start = start.replace(minute=0 if start.minute < 30 else 30, second=0, microsecond=0)
    return start, end


def _left_queue(token: TokenFact, end: datetime) -> datetime:
    return token.called_at or token.ended_at or end


def queue_length(tokens: Sequence[TokenFact], start: datetime, end: datetime) -> Series:
    """Patients who have checked in and not been called yet (waitlisted ones included), every few minutes."""
    spans = [(t.arrived_at, _left_queue(t, end)) for t in tokens if t.arrived_at is not None]
    points: Series = []
    instant = start
    while instant <= end:
        points.append((instant, float(sum(1 for came, went in spans if came <= instant < went))))
        instant += QUEUE_STEP
    return points


def utilization(tokens: Sequence[TokenFact], start: datetime, end: datetime) -> Series:
    """Share of each half hour the doctor spent in consultation, at the half hour's start."""
    consults = [(t.called_at, t.completed_at) for t in tokens if t.called_at and t.completed_at]
    points: Series = []
    bucket = start
    while bucket < end:
        close = bucket + UTILIZATION_BUCKET
        busy = sum(
            (max(timedelta(0), min(done, close) - max(called, bucket)) for called, done in consults), timedelta(0)
        )
        points.append((bucket, busy / UTILIZATION_BUCKET))
        bucket = close
    return points
