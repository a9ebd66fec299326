"""The delivery worker: leases due notifications, tries their channel, records the attempt and what is next.

It runs beside the event consumer, so a slow or failing channel never holds up the event queue.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from notifier import metrics, repository
from notifier.channels import Channel, Delivery, DeliveryError
from notifier.repository import Outcome
from shared import db, log_context
from shared.backoff import backoff_seconds
from shared.lifecycle import sleep_unless

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why an attempt failed: ``reason`` is recorded, ``summary`` logged (no recipient, no text)."""

    reason: str
    summary: str
    permanent: bool = False


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 6
    initial_seconds: float = 2.0
    max_seconds: float = 600.0


class DeliveryWorker:
    def __init__(
        self,
        pool: asyncpg.Pool,
        channels: Mapping[str, Channel],
        policy: RetryPolicy,
        holder: str,
        *,
        lease_seconds: float = 60.0,
        batch_size: int = 16,
        poll_seconds: float = 0.5,
        linger_seconds: float = 0.0,
    ) -> None:
        """``linger_seconds``: once woken by new notifications, wait this long so that more are claimed together."""
        self.pool = pool
        self.channels = channels
        self.policy = policy
        self.holder = holder
        self.lease_seconds = lease_seconds
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.linger_seconds = linger_seconds
        self.wake = asyncio.Event()  # set by the consumer when it records something new

    async def run(self, stop: asyncio.Event) -> None:
        """Deliver until ``stop``; in-flight attempts finish (channels have timeouts) before it returns."""
        released = False
        while not stop.is_set():
            try:
                async with self.pool.acquire() as connection:
                    if not released:
                        count = await repository.release_claims(connection, self.holder)
                        released = True
                        if count:
                            log.info("resuming %d delivery(ies) interrupted by the last stop", count)
                    claimed = await repository.claim_due(connection, self.holder, self.lease_seconds, self.batch_size)
            except db.CONNECTION_ERRORS as exc:
                log.warning("delivery queue unavailable (%r); retrying", exc)
                await sleep_unless(stop, self.poll_seconds * 2)
                continue
            if claimed:
                await self._record(list(await asyncio.gather(*(self._attempt(d) for d in claimed))))
                if len(claimed) == self.batch_size:
                    continue  # more may be due now; a short claim took all there was, so wait for a wake or the poll
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.poll_seconds)
            if self.wake.is_set() and self.linger_seconds:
                await sleep_unless(stop, self.linger_seconds)
            self.wake.clear()

    async def _attempt(self, delivery: Delivery) -> Outcome:
        with log_context.bound(correlation_id=delivery.correlation_id):
            return await self._attempt_bound(delivery)

    async def _attempt_bound(self, delivery: Delivery) -> Outcome:
        started, began = datetime.now(UTC), time.monotonic()
        failure: Failure | None = None
        channel = self.channels.get(delivery.channel)
        try:
            if channel is None:
                reason = f"channel {delivery.channel!r} is not configured"
                raise DeliveryError(reason, summary=reason)
            await channel.deliver(delivery)
        except DeliveryError as exc:
            failure = Failure(str(exc), exc.summary, exc.permanent)
        except Exception as exc:  # a channel's failure is recorded with its reason, never fatal
            failure = Failure(repr(exc), type(exc).__name__)
        metrics.DELIVERY_SECONDS.labels(channel=delivery.channel).observe(time.monotonic() - began)
        return self._outcome(delivery, started, datetime.now(UTC), failure)

    def _outcome(self, delivery: Delivery, started: datetime, finished: datetime, failure: Failure | None) -> Outcome:
        """What is next for the row: delivered, a retry after a backoff, or dead (no tries left, or refused)."""
        if failure is None:
            return Outcome(delivery, started, finished, "delivered")
        if failure.permanent or delivery.budget_used >= self.policy.max_attempts:
            log.warning("delivery %d via %s is dead: %s", delivery.id, delivery.channel, failure.summary)
            return Outcome(delivery, started, finished, "dead", failure.reason)
        delay = backoff_seconds(delivery.budget_used, self.policy.initial_seconds, self.policy.max_seconds)
        summary = failure.summary
        log.info("delivery %d via %s failed (%s); retry in %.2fs", delivery.id, delivery.channel, summary, delay)
        return Outcome(delivery, started, finished, "retry", failure.reason, delay)

    async def _record(self, outcomes: list[Outcome]) -> None:
        """Record the batch's attempts and outcomes in one statement; unrecorded, they are retried after the lease."""
        try:
            async with self.pool.acquire() as connection:
                await repository.record_outcomes(connection, outcomes)
        except db.CONNECTION_ERRORS as exc:
            ids = [outcome.delivery.id for outcome in outcomes]
            log.warning("outcomes of deliveries %s not recorded (%r); they are retried after their lease", ids, exc)
            return
        for outcome in outcomes:
            metrics.NOTIFICATIONS.labels(channel=outcome.delivery.channel, outcome=outcome.status).inc()
