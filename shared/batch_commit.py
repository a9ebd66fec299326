"""Committing a consumer's micro-batch, in delivery order, and settling it with one ack: the allocator's commands
and the notifier's events go through the same steps.

- The store is unavailable → nothing is acked; the same batch is tried again with backoff, unless the service is
  stopping (its deliveries then come again to whoever consumes next).
- The commit names the item that broke it (``shared.errors.Culprit``) → that item is refused alone, the others
  commit without it.
- Any other failure (a constraint, a bug) → the batch is split and its items committed one by one, so that one bad
  item holds up none of the others; an item that fails on its own is refused. The split stops as soon as the
  service is asked to: an item left uncommitted must never be covered by a later item's ``multiple`` ack.
- Committed → the caller answers, then one lingering ``multiple`` ack settles the batch (``LingeringAcks``).

"Refused" is the caller's to define (dead-lettered with the reason, and answered); it settles the delivery on its
own, so every delivery before the next ack is settled, as ``LingeringAcks`` requires. An exception from the
caller's own steps (``refuse``, ``committed``) or from the ack goes up to the caller, and so do those named in
``passes``: whatever was not acked then comes again when the channel closes.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from shared.acks import LingeringAcks
from shared.backoff import backoff_seconds
from shared.deliveries import Delivery
from shared.errors import Culprit
from shared.lifecycle import sleep_unless

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(frozen=True, slots=True)
class Backoff:
    """Waits between tries while the store is unavailable: doubling from ``initial_seconds`` up to ``max_seconds``,
    with jitter (``shared.backoff``), so that consumers waiting on one database do not all retry at once."""

    initial_seconds: float
    max_seconds: float


@dataclass(frozen=True, slots=True)
class BatchCommit(Generic[Item, Result]):
    """The steps above, for items that each carry their delivery (``message_of``)."""

    what: str  # names the batch in log lines: "shard 2", "events"
    commit: Callable[[list[Item]], Awaitable[Result]]
    committed: Callable[[list[Item], Result], Awaitable[None]]  # answer; the ack follows
    refuse: Callable[[Item, Exception], Awaitable[None]]  # settle one item that cannot succeed
    message_of: Callable[[Item], Delivery]
    acks: LingeringAcks
    transient: Callable[[Exception], bool]
    backoff: Backoff
    passes: tuple[type[Exception], ...] = field(default=())  # raised on to the caller, unhandled

    async def __call__(self, items: list[Item], stop: asyncio.Event) -> None:
        items = list(items)
        tries = 0
        while items:
            try:
                result = await self.commit(items)
            except self.passes:
                raise
            except Culprit as culprit:
                await self.refuse(items.pop(culprit.index), culprit)
                continue
            except Exception as exc:
                if self.transient(exc):
                    if stop.is_set():
                        return  # unacked: the broker requeues them when the channel closes
                    tries += 1
                    delay = backoff_seconds(tries, self.backoff.initial_seconds, self.backoff.max_seconds)
                    log.warning("%s: %r; retrying %d in %.1fs", self.what, exc, len(items), delay)
                    await sleep_unless(stop, delay)
                    if stop.is_set():
                        return
                    continue
                await self._split(items, exc, stop)
                return
            await self.committed(items, result)
            # Deliveries arrive and are batched in order, and every earlier one on the channel is settled already
            # (committed, or refused on its own): one ack, perhaps lingering, covers the batch.
            await self.acks.recorded(self.message_of(items[-1]), len(items))
            return

    async def _split(self, items: list[Item], exc: Exception, stop: asyncio.Event) -> None:
        """Commit the items one by one to find the culprit; one alone that fails is refused."""
        if len(items) == 1:
            await self.refuse(items[0], exc)
            return
        log.warning("%s: a batch of %d failed (%r); committing them one by one", self.what, len(items), exc)
        for item in items:
            if stop.is_set():
                return  # an item left uncommitted must not be covered by a later item's multiple ack
            await self([item], stop)
