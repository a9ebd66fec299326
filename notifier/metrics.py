"""The notifier's Prometheus metrics (default registry) and the probe that samples its backlog."""

import asyncio
from collections.abc import Collection

import asyncpg
from prometheus_client import Counter, Gauge, Histogram

from notifier import repository
from shared.metrics import sample_every

NOTIFICATIONS = Counter(
    "opd_notifications",
    "Notification outcomes by channel: delivered, retry (an attempt failed, another is due), dead (no more tries), "
    "skipped (superseded by a newer message to the same patient before it went out)",
    ["channel", "outcome"],
)
DELIVERY_SECONDS = Histogram("opd_notification_delivery_seconds", "One delivery attempt through a channel", ["channel"])
PENDING = Gauge("opd_notifications_pending", "Notifications waiting to be delivered, retries included", ["channel"])


async def watch_pending(pool: asyncpg.Pool, channels: Collection[str], stop: asyncio.Event) -> None:
    """Sample the pending notifications per channel (the configured ones always, at 0 when idle)."""

    async def pending_notifications() -> None:
        async with pool.acquire() as connection:
            counts = await repository.pending_by_channel(connection)
        for channel in {*channels, *counts}:
            PENDING.labels(channel=channel).set(counts.get(channel, 0))

    await sample_every(pending_notifications, stop)
