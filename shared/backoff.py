"""Retry schedule: exponential backoff with jitter. Pure."""

import random


def backoff_seconds(attempt: int, initial: float, maximum: float, rng: random.Random | None = None) -> float:
    """Delay before the attempt after ``attempt`` (1-based): initial·2^(n-1), capped, times a jitter in [0.5, 1].

    Any number of attempts: the doubling stops counting long after the cap (2.0 ** 1024 would overflow, which an
    outage of an hour of retries reaches)."""
    ceiling = min(maximum, initial * 2.0 ** min(attempt - 1, 64))
    jitter = rng.random() if rng else random.random()
    return ceiling * (0.5 + 0.5 * jitter)
