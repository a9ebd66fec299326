"""Tunable rules of the allocation, fixed per allocator process from its settings."""

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Policy:
    zone: ZoneInfo
    booking_horizon_days: int = 30
    release_reserve_at_start: bool = True
    eta_notice_threshold: timedelta = timedelta(minutes=10)
