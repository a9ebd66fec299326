"""Running the real services inside the test's event loop, and waiting for what they do."""

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class Running:
    """A service main running as a task until ``stop`` is set."""

    task: asyncio.Task[None]
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def shutdown(self, timeout: float = 15.0) -> None:
        self.stop.set()
        try:
            await asyncio.wait_for(self.task, timeout)
        except TimeoutError:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
            raise


def start(main: Callable[[asyncio.Event], Coroutine[Any, Any, None]]) -> Running:
    stop = asyncio.Event()
    return Running(task=asyncio.create_task(main(stop)), stop=stop)


async def eventually(probe: Callable[[], Awaitable[T | None]], timeout: float = 10.0, interval: float = 0.05) -> T:
    """Poll until the probe returns something truthy; fail with its last value after the timeout."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")
