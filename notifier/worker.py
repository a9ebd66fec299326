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
from notifier.backoff import backoff_seconds
from notifier.channels import Channel, Delivery, DeliveryError
from shared import db
from shared.lifecycle import sleep_unless

log = logging.getLogger(__name__)
INTERRUPTED = "interrupted: the notifier stopped before recording an outcome"


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
    ) -> None:
        self.pool = pool
        self.channels = channels
        self.policy = policy
        self.holder = holder
        self.lease_seconds = lease_seconds
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
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
                await asyncio.gather(*(self._attempt(delivery) for delivery in claimed))
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self.poll_seconds)
            self.wake.clear()

    async def _attempt(self, delivery: Delivery) -> None:
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
        try:
            outcome = await self._record(delivery, started, failure)
        except db.CONNECTION_ERRORS as exc:
            log.warning("outcome of delivery %d not recorded (%r); it is retried after its lease", delivery.id, exc)
            return
        metrics.NOTIFICATIONS.labels(channel=delivery.channel, outcome=outcome).inc()

    async def _record(self, delivery: Delivery, started: datetime, failure: Failure | None) -> str:
        """Record the attempt and what is next; returns the outcome: delivered, retry or dead."""
        async with self.pool.acquire() as connection, connection.transaction():
            if delivery.interrupted:
                await repository.record_attempt(
                    connection, delivery.id, delivery.attempt - 1, started, "interrupted", INTERRUPTED
                )
            if failure is None:
                await repository.record_attempt(connection, delivery.id, delivery.attempt, started, "delivered")
                await repository.mark_delivered(connection, delivery.id)
                return "delivered"
            error = failure.reason
            await repository.record_attempt(connection, delivery.id, delivery.attempt, started, "failed", error)
            if failure.permanent or delivery.budget_used >= self.policy.max_attempts:
                log.warning("delivery %d via %s is dead: %s", delivery.id, delivery.channel, failure.summary)
                await repository.mark_dead(connection, delivery, error)
                return "dead"
            delay = backoff_seconds(delivery.budget_used, self.policy.initial_seconds, self.policy.max_seconds)
            log.info(
                "delivery %d via %s failed (%s); retry in %.2fs", delivery.id, delivery.channel, failure.summary, delay
            )
            await repository.mark_retry(connection, delivery, error, delay)
            return "retry"
