"""Micro-batches from a consumer's buffer: the next message, those already waiting behind it, and (with a linger)
those that arrive within a few milliseconds. Used by the allocator's shard consumers and the notifier."""

import asyncio
from typing import TypeVar

T = TypeVar("T")
FIRST_WAIT_SECONDS = 0.25  # how long to wait for a first message before the caller looks at its stop event again


async def next_batch(
    buffer: asyncio.Queue[T], max_size: int, linger_seconds: float = 0.0, stop: asyncio.Event | None = None
) -> list[T]:
    """Up to ``max_size`` items: empty when none came within a quarter of a second; otherwise the first, all that
    are buffered, and whatever arrives within ``linger_seconds`` of the first (unless ``stop`` is set).

    Waits under ``asyncio.timeout``, not ``wait_for``: no task per wait, none at all when an item is waiting, and a
    cancellation that comes with an item is raised (``wait_for`` returns the item then, on Python 3.11). A wait cut
    short leaves its item in the buffer (``Queue.get`` takes it only once it runs again)."""
    if buffer.empty():
        try:
            async with asyncio.timeout(FIRST_WAIT_SECONDS):
                batch = [await buffer.get()]
        except TimeoutError:
            return []
    else:
        batch = [buffer.get_nowait()]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + linger_seconds
    while len(batch) < max_size and not (stop is not None and stop.is_set()):
        if not buffer.empty():
            batch.append(buffer.get_nowait())
            continue
        if deadline <= loop.time():
            break
        try:
            async with asyncio.timeout_at(deadline):
                batch.append(await buffer.get())
        except TimeoutError:
            break
    return batch
