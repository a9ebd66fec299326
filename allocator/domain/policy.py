"""Tunable rules of the allocation, fixed per allocator process from its settings."""

from dataclasses import dataclass
from datetime import time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True, slots=True)
class Policy:
    zone: ZoneInfo
    booking_horizon_days: int = 30
    release_reserve_at_start: bool = True
    eta_notice_threshold: timedelta = timedelta(minutes=10)
    eta_notice_share: float = 0.5  # a move must also be this share of the time left until the ETA to be told
    day_updates_from: time = time(7)  # on the day, from then on, ETA notices add up small moves (D33)
    no_show_grace: timedelta = timedelta(minutes=15)
    recall_after_patients: int = 2
    consult_smoothing: float = 0.1  # weight of the newest measured consultation in the moving average
    show_chance: float = 0.8  # a confirmed patient not yet here counts as this share of a consultation in the ETAs
