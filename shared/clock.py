"""The service clock: real time, or a simulated day that starts at a chosen instant and runs faster."""

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ScaledClock:
    """Reads ``start`` at the Unix time ``origin`` and advances ``speed`` times faster than the wall clock.

    Processes given the same start, origin and speed agree on the time.
    """

    def __init__(self, start: datetime, speed: float = 1.0, origin: float | None = None) -> None:
        if start.tzinfo is None:
            raise ValueError("clock start must be timezone-aware")
        self._start = start
        self._speed = speed
        self._origin = time.time() if origin is None else origin

    def now(self) -> datetime:
        elapsed = (time.time() - self._origin) * self._speed
        return self._start + timedelta(seconds=elapsed)


class ManualClock:
    """A clock that moves only when told: for tests and deterministic replays."""

    def __init__(self, start: datetime) -> None:
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        self._now = instant

    def advance(self, delta: timedelta) -> None:
        self._now += delta


def clock_from_settings(start: datetime | None, speed: float, origin: float | None = None) -> Clock:
    if start is None and speed == 1.0:
        return SystemClock()
    return ScaledClock(start or datetime.now(UTC), speed, origin)
