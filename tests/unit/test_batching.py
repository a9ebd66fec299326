"""Micro-batches: the first message, what waits behind it, and what arrives within the linger."""

import asyncio

import pytest

from shared.batching import next_batch


async def test_an_empty_buffer_gives_an_empty_batch_after_a_short_wait() -> None:
    assert await next_batch(asyncio.Queue[int](), max_size=8) == []


async def test_a_batch_takes_what_is_buffered_up_to_its_size() -> None:
    buffer = asyncio.Queue[int]()
    for n in range(10):
        buffer.put_nowait(n)
    assert await next_batch(buffer, max_size=4) == [0, 1, 2, 3]
    assert await next_batch(buffer, max_size=40) == [4, 5, 6, 7, 8, 9]


async def test_a_linger_waits_for_late_arrivals_and_no_linger_does_not() -> None:
    buffer = asyncio.Queue[int]()
    buffer.put_nowait(1)
    asyncio.get_running_loop().call_later(0.05, buffer.put_nowait, 2)
    assert await next_batch(buffer, max_size=8) == [1]
    assert await next_batch(buffer, max_size=8) == [2]
    buffer.put_nowait(3)
    asyncio.get_running_loop().call_later(0.05, buffer.put_nowait, 4)
    assert await next_batch(buffer, max_size=8, linger_seconds=0.5) == [3, 4]


async def test_a_stop_ends_the_linger() -> None:
    buffer, stop = asyncio.Queue[int](), asyncio.Event()
    buffer.put_nowait(1)
    buffer.put_nowait(2)
    stop.set()
    assert await next_batch(buffer, max_size=8, linger_seconds=5, stop=stop) == [1]


async def test_a_cancellation_that_comes_with_an_item_stops_the_wait_and_leaves_the_item() -> None:
    """A consumer cancelled (its service stopping) just as a message arrives stops, and the message stays buffered
    (its channel closes and the broker delivers it again)."""
    buffer = asyncio.Queue[int]()
    waiting = asyncio.create_task(next_batch(buffer, max_size=8))
    await asyncio.sleep(0)  # waiting on the empty buffer
    buffer.put_nowait(1)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert buffer.get_nowait() == 1
