"""Acks that settle several deliveries at once: a consumer whose work is recorded durably before its ack (the
allocator's inbox, the notifier's log) may let the ack wait a little, so that one ``multiple`` ack settles every
delivery recorded meanwhile. On a quorum queue each ack is a replicated log entry; at one request at a time that
was one per request.

A delivery whose ack is lost (a crash, a closed channel) comes again, and the consumer's record deduplicates it:
lingering costs only redeliveries after a failure, never a lost or doubled effect.
"""

import asyncio
import logging
from collections.abc import Awaitable

from shared.amqp import broker_failed
from shared.deliveries import Delivery

log = logging.getLogger(__name__)


class LingeringAcks:
    """Settles recorded deliveries of one channel, in order, with one ``multiple`` ack at most ``linger_seconds``
    after the first of them was recorded, or at once when ``flush_at`` are waiting (the prefetch window must not
    fill with settled work).

    Deliveries must be recorded in delivery order, and every earlier delivery on the channel must be settled already
    (recorded here, or acked, nacked or dead-lettered on its own): the ack covers every tag up to the last one.
    """

    def __init__(self, linger_seconds: float, flush_at: int, what: str) -> None:
        """``what``: names the deliveries in the warning when an ack is lost with its channel."""
        self.linger_seconds = linger_seconds
        self.flush_at = max(1, flush_at)
        self.what = what
        self._last: Delivery | None = None
        self._count = 0
        self._due = asyncio.Event()
        # One ack on its way at a time. An ack waits for room in the connection's bounded frame queue, where a
        # later ack can take the room first (asyncio.Queue wakes a waiting writer but lets a newcomer in before
        # it runs): a multiple ack of a later tag that overtakes an earlier one makes the earlier tag unknown to
        # the broker, which closes the channel.
        self._sending = asyncio.Lock()

    @property
    def waiting(self) -> int:
        """Recorded deliveries not acked yet."""
        return self._count

    async def recorded(self, last: Delivery, count: int) -> None:
        """``count`` deliveries, ending with ``last``, are recorded: ack them now or within the linger."""
        self._last = last
        self._count += count
        if self.linger_seconds <= 0 or self._count >= self.flush_at:
            await self.flush()
        else:
            self._due.set()

    def forget(self) -> None:
        """The channel is gone: its deliveries come again to whoever consumes next."""
        self._last, self._count = None, 0
        self._due.clear()

    async def flush(self) -> None:
        """Ack every delivery recorded so far, after any ack already on its way. Lost with the channel, they come
        again and are deduplicated."""
        message, self._last, self._count = self._last, None, 0
        self._due.clear()
        async with self._sending:  # with nothing to ack too: the channel may close once this returns
            if message is not None:
                await settle(message.ack(multiple=True), self.what)

    async def run(self) -> None:
        """Acks lingering behind a recording go out ``linger_seconds`` after it; run as a task beside the consumer.
        A failed ack is logged and the task goes on: the next flush covers what this one did not.

        Cancelling the task does not cancel an ack on its way: that ack has taken the deliveries it settles, so the
        consumer's last ``flush`` (which waits for it) would otherwise find nothing to ack and close the channel
        with committed work unacked."""
        while True:
            await self._due.wait()
            await asyncio.sleep(self.linger_seconds)
            try:
                await asyncio.shield(self.flush())
            except Exception:
                log.exception("lingering ack of %s failed; the next ack covers them", self.what)


async def settle(operation: Awaitable[object], what: str) -> None:
    """Await an ack or nack on a channel that may have died meanwhile: the broker redelivers, the consumer's record
    deduplicates. A failure that is not the broker's is raised."""
    try:
        await operation
    except Exception as exc:
        if not broker_failed(exc):
            raise
        log.warning("ack/nack of %s lost with the channel (%r); they come again and are deduplicated", what, exc)
