"""The delivery log: one row per (event, channel, recipient), so a redelivered event tells nobody twice."""

import asyncpg

from notifier.messages import Notification


async def record(connection: asyncpg.Connection, notification: Notification) -> int | None:
    """Insert the notification as pending; None when it was recorded before (and so is being handled)."""
    return await connection.fetchval(  # type: ignore[no-any-return]
        """INSERT INTO notifications (event_id, event_type, doctor_id, token_id, channel, recipient, message, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending')
           ON CONFLICT (event_id, channel, recipient) DO NOTHING
           RETURNING id""",
        notification.event_id,
        notification.event_type,
        notification.doctor_id,
        notification.token_id,
        notification.channel,
        notification.recipient,
        notification.text,
    )


async def pending_id(connection: asyncpg.Connection, notification: Notification) -> int | None:
    """A recorded but undelivered notification (the notifier died mid-delivery): deliver it now."""
    return await connection.fetchval(  # type: ignore[no-any-return]
        """SELECT id FROM notifications
            WHERE event_id = $1 AND channel = $2 AND recipient = $3 AND status = 'pending'""",
        notification.event_id,
        notification.channel,
        notification.recipient,
    )


async def mark_delivered(connection: asyncpg.Connection, notification_id: int) -> None:
    await connection.execute(
        """UPDATE notifications SET status = 'delivered', attempts = attempts + 1, delivered_at = now()
            WHERE id = $1""",
        notification_id,
    )


async def mark_failed(connection: asyncpg.Connection, notification_id: int, reason: str) -> None:
    await connection.execute(
        "UPDATE notifications SET status = 'failed', attempts = attempts + 1, last_error = $2 WHERE id = $1",
        notification_id,
        reason[:1000],
    )
