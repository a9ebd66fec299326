"""Acks that settle several recorded deliveries at once (``shared.acks``), against a message that records its acks."""

import asyncio
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest

from shared.acks import LingeringAcks


@dataclass
class Delivery:
    """Stands in for an incoming message: remembers how it was acked, or fails as a dead channel does."""

    tag: int
    acks: list[tuple[int, bool]] = field(default_factory=list)
    failure: Exception | None = None

    async def ack(self, multiple: bool = False) -> None:
        if self.failure is not None:
            raise self.failure
        self.acks.append((self.tag, multiple))


async def test_without_a_linger_each_recording_is_acked_at_once() -> None:
    acks = LingeringAcks(0, flush_at=10, what="test")
    first, second = Delivery(1), Delivery(2)
    await acks.recorded(first, 1)  # type: ignore[arg-type]
    await acks.recorded(second, 1)  # type: ignore[arg-type]
    assert (first.acks, second.acks, acks.waiting) == ([(1, True)], [(2, True)], 0)


async def test_recordings_within_the_linger_are_settled_by_one_ack_of_the_last() -> None:
    acks = LingeringAcks(0.05, flush_at=10, what="test")
    lingering = asyncio.create_task(acks.run())
    try:
        deliveries = [Delivery(tag) for tag in range(1, 4)]
        for delivery in deliveries:
            await acks.recorded(delivery, 1)  # type: ignore[arg-type]
        assert acks.waiting == 3 and not any(d.acks for d in deliveries)
        await asyncio.sleep(0.15)
        assert [d.acks for d in deliveries] == [[], [], [(3, True)]]
        assert acks.waiting == 0
    finally:
        lingering.cancel()


async def test_a_full_window_is_acked_without_waiting_for_the_linger() -> None:
    acks = LingeringAcks(60, flush_at=4, what="test")
    first, last = Delivery(3), Delivery(4)
    await acks.recorded(first, 3)  # type: ignore[arg-type]
    await acks.recorded(last, 1)  # type: ignore[arg-type]
    assert (first.acks, last.acks) == ([], [(4, True)])


async def test_a_forgotten_channel_s_deliveries_are_never_acked() -> None:
    acks = LingeringAcks(60, flush_at=10, what="test")
    old = Delivery(7)
    await acks.recorded(old, 1)  # type: ignore[arg-type]
    acks.forget()
    await acks.flush()
    assert old.acks == [] and acks.waiting == 0


async def test_an_ack_lost_with_the_channel_is_let_go_but_a_bug_is_raised() -> None:
    acks = LingeringAcks(0, flush_at=10, what="test")
    await acks.recorded(Delivery(1, failure=ConnectionResetError("gone")), 1)  # type: ignore[arg-type]
    with pytest.raises(KeyError):
        await acks.recorded(Delivery(2, failure=KeyError("a bug")), 1)  # type: ignore[arg-type]


async def test_the_lingering_task_outlives_a_failed_ack() -> None:
    acks = LingeringAcks(0.02, flush_at=10, what="test")
    lingering = asyncio.create_task(acks.run())
    try:
        await acks.recorded(Delivery(1, failure=KeyError("a bug")), 1)  # type: ignore[arg-type]
        await asyncio.sleep(0.08)
        later = Delivery(2)
        await acks.recorded(later, 1)  # type: ignore[arg-type]
        await asyncio.sleep(0.08)
        assert later.acks == [(2, True)] and not lingering.done()
    finally:
        lingering.cancel()


@dataclass
class OnABusyConnection:
    """Stands in for an incoming message whose ack waits for room in the connection's bounded frame queue, as
    aiormq's does; the queue's order is the order the broker reads the acks in."""

    tag: int
    frames: "asyncio.Queue[int]"

    async def ack(self, multiple: bool = False) -> None:
        await self.frames.put(self.tag)


def _start_now(work: Coroutine[Any, Any, None]) -> "asyncio.Future[None]":
    """Run ``work`` at once, up to its first wait, as a task already running would (the consumer recording a batch
    just as the writer makes room); then on, as a task does. Done when ``work`` is."""
    try:
        waiting = work.send(None)
    except StopIteration:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    async def rest(waiting: "asyncio.Future[Any]") -> None:
        while True:
            await asyncio.wait([waiting])
            try:
                waiting = work.send(None)
            except StopIteration:
                return

    return asyncio.ensure_future(rest(waiting))


async def test_an_ack_waiting_for_room_is_not_overtaken_by_a_later_one() -> None:
    """A later multiple ack read first would leave the earlier tag unknown to the broker, which closes the channel."""
    frames: asyncio.Queue[int] = asyncio.Queue(maxsize=1)
    frames.put_nowait(0)  # the connection's frame queue is full
    acks = LingeringAcks(0.01, flush_at=2, what="test")
    lingering = asyncio.create_task(acks.run())
    try:
        await acks.recorded(OnABusyConnection(5, frames), 1)  # type: ignore[arg-type]
        await asyncio.sleep(0.1)  # its lingering ack now waits for room
        assert frames.get_nowait() == 0  # the writer sends a frame: room for one
        later = _start_now(acks.recorded(OnABusyConnection(10, frames), 2))  # type: ignore[arg-type]
        sent = [await asyncio.wait_for(frames.get(), 1) for _ in range(2)]
        await later
        assert sent == [5, 10]
    finally:
        lingering.cancel()


@dataclass
class SlowDelivery(Delivery):
    """An ack that waits for the connection's writer (``gate``) before it is sent."""

    gate: asyncio.Event = field(default_factory=asyncio.Event)
    started: asyncio.Event = field(default_factory=asyncio.Event)

    async def ack(self, multiple: bool = False) -> None:
        self.started.set()
        await self.gate.wait()
        await super().ack(multiple)


async def test_stopping_the_lingering_task_mid_ack_still_acks_what_it_took() -> None:
    """The consumer stops its lingering task, then flushes before closing the channel: an ack the task had on its
    way must still go out, or the channel closes with committed deliveries unacked."""
    acks = LingeringAcks(0.01, flush_at=10, what="test")
    lingering = asyncio.create_task(acks.run())
    delivery = SlowDelivery(5)
    await acks.recorded(delivery, 1)  # type: ignore[arg-type]
    await asyncio.wait_for(delivery.started.wait(), 1)
    lingering.cancel()
    with pytest.raises(asyncio.CancelledError):
        await lingering
    asyncio.get_running_loop().call_later(0.01, delivery.gate.set)
    await asyncio.wait_for(acks.flush(), 1)  # the consumer's last flush: after the ack on its way
    assert delivery.acks == [(5, True)]
