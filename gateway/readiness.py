"""Readiness verdicts, reused for a moment: a flood of ``/readyz`` costs one check per interval, not one each."""

import asyncio
import time
from collections.abc import Awaitable, Callable

Checks = dict[str, str]


class CachedReadiness:
    """The last verdict, kept ``seconds``; callers arriving meanwhile share it (or wait for the one in progress)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._checked_at = float("-inf")
        self._checks: Checks = {}
        self._lock = asyncio.Lock()

    async def verdict(self, check: Callable[[], Awaitable[Checks]]) -> Checks:
        async with self._lock:
            if time.monotonic() - self._checked_at >= self.seconds:
                self._checks = await check()
                self._checked_at = time.monotonic()
            return self._checks
