"""The delivery log and work queue: one row per (event, channel, recipient), every attempt recorded.

A row is ``pending`` until delivered, ``dead`` after its last try (or a permanent refusal), ``superseded``
when a newer ETA update replaced it before it went out. A claim is a lease (``claimed_by``/``claimed_until``):
a notifier that dies mid-delivery leaves it to expire, or releases it itself when it starts again.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import asyncpg

from notifier.channels import Delivery
from notifier.messages import ETA_CHANGED, Notification

_SECOND = "* interval '1 second'"


class Recorded(NamedTuple):
    notification_id: int | None  # None: recorded before
    superseded: int  # unsent ETA updates this one replaced


async def record(connection: asyncpg.Connection, notification: Notification, coalesce_seconds: float) -> Recorded:
    """Insert the notification as pending (unless recorded before). Call inside a transaction.

    A newer message to the same patient and channel supersedes an ETA update not yet sent; a new ETA update
    goes out at most once per ``coalesce_seconds`` (it waits for the window, taking the superseded one's turn).
    """
    notification_id: int | None = await connection.fetchval(
        """INSERT INTO notifications (event_id, event_type, doctor_id, token_id, token_number, channel, recipient,
                                      message, subject, language, correlation_id, status)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending')
           ON CONFLICT (event_id, channel, recipient) DO NOTHING
           RETURNING id""",
        notification.event_id,
        notification.event_type,
        notification.doctor_id,
        notification.token_id,
        notification.token_number,
        notification.channel,
        notification.recipient,
        notification.text,
        notification.subject,
        notification.language,
        notification.correlation_id,
    )
    if notification_id is None or notification.token_id is None:
        return Recorded(notification_id, 0)
    key = (notification.token_id, notification.channel, notification.recipient)
    superseded: str = await connection.execute(
        """UPDATE notifications
              SET status = 'superseded', superseded_by = $4, last_error = 'superseded by a newer message',
                  updated_at = now()
            WHERE token_id = $1 AND channel = $2 AND recipient = $3 AND id < $4 AND event_type = $5
              AND status = 'pending' AND (claimed_until IS NULL OR claimed_until < now())""",
        *key,
        notification_id,
        ETA_CHANGED,
    )
    if notification.event_type == ETA_CHANGED and coalesce_seconds > 0:
        await connection.execute(
            f"""UPDATE notifications
                  SET next_attempt_at = greatest(now(), (
                        SELECT max(CASE WHEN status = 'delivered' THEN delivered_at + $5 {_SECOND}
                                        WHEN status = 'superseded' THEN next_attempt_at
                                        ELSE now() + $5 {_SECOND} END)
                          FROM notifications
                         WHERE token_id = $1 AND channel = $2 AND recipient = $3 AND event_type = $6 AND id < $4
                           AND (status = 'delivered' OR superseded_by = $4
                                OR (status = 'pending' AND claimed_until > now()))))
                WHERE id = $4""",
            *key,
            notification_id,
            coalesce_seconds,
            ETA_CHANGED,
        )
    return Recorded(notification_id, int(superseded.split()[-1]))


async def claim_due(connection: asyncpg.Connection, holder: str, lease_seconds: float, limit: int) -> list[Delivery]:
    """Lease up to ``limit`` due pending rows (oldest first) to ``holder``; each claim counts as an attempt."""
    rows = await connection.fetch(
        f"""UPDATE notifications n
               SET claimed_by = $1, claimed_until = now() + $2 {_SECOND}, attempts = n.attempts + 1,
                   updated_at = now()
              FROM (SELECT id, claimed_until IS NOT NULL AS interrupted
                      FROM notifications
                     WHERE status = 'pending' AND next_attempt_at <= now()
                       AND (claimed_until IS NULL OR claimed_until <= now())
                     ORDER BY next_attempt_at, id
                     LIMIT $3
                       FOR UPDATE SKIP LOCKED) due
             WHERE n.id = due.id
         RETURNING n.*, due.interrupted""",
        holder,
        lease_seconds,
        limit,
    )
    return [
        Delivery(
            id=row["id"],
            attempt=row["attempts"],
            budget_used=row["attempts"] - row["attempts_base"],
            event_id=row["event_id"],
            event_type=row["event_type"],
            doctor_id=row["doctor_id"],
            token_id=row["token_id"],
            token_number=row["token_number"],
            channel=row["channel"],
            recipient=row["recipient"],
            language=row["language"] or "en",
            subject=row["subject"],
            text=row["message"],
            interrupted=row["interrupted"],
            correlation_id=row["correlation_id"],
        )
        for row in sorted(rows, key=lambda r: r["id"])
    ]


async def release_claims(connection: asyncpg.Connection, holder: str) -> int:
    """At start-up: this holder's claims died with its previous run; make them due now (marked interrupted)."""
    released: str = await connection.execute(
        """UPDATE notifications SET claimed_until = now(), updated_at = now()
            WHERE status = 'pending' AND claimed_by = $1 AND claimed_until > now()""",
        holder,
    )
    return int(released.split()[-1])


@dataclass(frozen=True, slots=True)
class Outcome:
    """How a claimed attempt ended: ``delivered``, ``retry`` (due again after ``delay_seconds``) or ``dead``."""

    delivery: Delivery
    started_at: datetime
    finished_at: datetime  # the channel's answer, not the (later) commit of the batch
    status: str
    error: str | None = None
    delay_seconds: float = 0.0


INTERRUPTED = "interrupted: the notifier stopped before recording an outcome"
_RECORD_ATTEMPT = """INSERT INTO delivery_attempts (notification_id, attempt, started_at, finished_at, outcome, error)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT (notification_id, attempt)
                     DO UPDATE SET outcome = excluded.outcome, error = excluded.error,
                                   finished_at = excluded.finished_at
                          WHERE excluded.outcome <> 'interrupted'"""
_MARK_DELIVERED = """UPDATE notifications
                        SET status = 'delivered', delivered_at = now(), claimed_by = NULL, claimed_until = NULL,
                            updated_at = now()
                      WHERE id = $1 AND status = 'pending'"""
# Failed, tries left: due again after the delay (unless someone else holds the row by now).
_MARK_RETRY = f"""UPDATE notifications
                     SET last_error = $3, next_attempt_at = now() + $4 {_SECOND}, claimed_by = NULL,
                         claimed_until = NULL, updated_at = now()
                   WHERE id = $1 AND attempts = $2 AND status = 'pending'"""
# No more tries: dead-lettered with the reason, until a redrive.
_MARK_DEAD = """UPDATE notifications
                   SET status = 'dead', last_error = $3, claimed_by = NULL, claimed_until = NULL, updated_at = now()
                 WHERE id = $1 AND attempts = $2 AND status = 'pending'"""


async def record_outcomes(connection: asyncpg.Connection, outcomes: Sequence[Outcome]) -> None:
    """Record a batch's attempts (and the earlier claim an attempt found interrupted), then each row's next state:
    delivered, due again after its delay, or dead. Call inside a transaction."""
    await _each(connection, _RECORD_ATTEMPT, [row for outcome in outcomes for row in _attempt_rows(outcome)])
    delivered, retry, dead = ([o for o in outcomes if o.status == status] for status in ("delivered", "retry", "dead"))
    await _each(connection, _MARK_DELIVERED, [(o.delivery.id,) for o in delivered])
    await _each(connection, _MARK_RETRY, [(*_claim(o), _clip(o.error), o.delay_seconds) for o in retry])
    await _each(connection, _MARK_DEAD, [(*_claim(o), _clip(o.error)) for o in dead])


def _claim(outcome: Outcome) -> tuple[int, int]:
    """The row and the attempt that claimed it: a row claimed again since (lease expired) is not touched."""
    return outcome.delivery.id, outcome.delivery.attempt


def _attempt_rows(outcome: Outcome) -> list[tuple[object, ...]]:
    delivery, times = outcome.delivery, (outcome.started_at, outcome.finished_at)
    rows: list[tuple[object, ...]] = []
    if delivery.interrupted:
        rows.append((delivery.id, delivery.attempt - 1, *times, "interrupted", INTERRUPTED))
    result = "delivered" if outcome.status == "delivered" else "failed"
    rows.append((delivery.id, delivery.attempt, *times, result, _clip(outcome.error)))
    return rows


def _clip(error: str | None) -> str | None:
    return error[:1000] if error else None


async def _each(connection: asyncpg.Connection, statement: str, rows: list[tuple[object, ...]]) -> None:
    """One statement over many rows, pipelined (one round trip)."""
    if rows:
        await connection.executemany(statement, rows)


async def redrive(connection: asyncpg.Connection, ids: Sequence[int] | None) -> list[int]:
    """Dead (or legacy failed) rows back to pending, due now, with a fresh attempt budget."""
    rows = await connection.fetch(
        """UPDATE notifications
              SET status = 'pending', next_attempt_at = now(), attempts_base = attempts,
                  claimed_by = NULL, claimed_until = NULL, updated_at = now()
            WHERE status IN ('dead', 'failed') AND ($1::bigint[] IS NULL OR id = any($1::bigint[]))
        RETURNING id""",
        list(ids) if ids is not None else None,
    )
    return sorted(row["id"] for row in rows)


async def pending_by_channel(connection: asyncpg.Connection) -> dict[str, int]:
    rows = await connection.fetch(
        "SELECT channel, count(*) AS n FROM notifications WHERE status = 'pending' GROUP BY 1"
    )
    return {row["channel"]: row["n"] for row in rows}
