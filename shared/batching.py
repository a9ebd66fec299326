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
    are buffered, and whatever arrives within ``linger_seconds`` of the first (unless ``stop`` is set)."""
    try:
        batch = [await asyncio.wait_for(buffer.get(), timeout=FIRST_WAIT_SECONDS)]
    except TimeoutError:
        return []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + linger_seconds
    while len(batch) < max_size and not (stop is not None and stop.is_set()):
        if not buffer.empty():
            batch.append(buffer.get_nowait())
            continue
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        try:
            batch.append(await asyncio.wait_for(buffer.get(), timeout=remaining))
        except TimeoutError:
            break
    return batch
