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


# A batch's notifications inserted, and each patient's unsent ETA updates superseded, in one statement (one round
# trip). The update cannot see the rows the insert adds (a data-modifying WITH sees the snapshot from before the
# statement): it names them by id, so a batch given here holds at most one notification per patient, channel and
# recipient (``segments``), and the next segment's statement sees this one's rows.
_RECORD = """
WITH given AS (
    SELECT *
      FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[],
                  $9::text[], $10::text[], $11::uuid[]) WITH ORDINALITY
        AS g (event_id, event_type, doctor_id, token_id, token_number, channel, recipient, message, subject,
              language, correlation_id, ord)
), inserted AS (
    INSERT INTO notifications (event_id, event_type, doctor_id, token_id, token_number, channel, recipient,
                               message, subject, language, correlation_id, status)
    SELECT event_id, event_type, doctor_id, token_id, token_number, channel, recipient, message, subject, language,
           correlation_id, 'pending'
      FROM given ORDER BY ord
    ON CONFLICT (event_id, channel, recipient) DO NOTHING
    RETURNING id, event_id, token_id, channel, recipient
), superseded AS (
    UPDATE notifications n
       SET status = 'superseded', superseded_by = i.id, last_error = 'superseded by a newer message',
           updated_at = now()
      FROM inserted i
     WHERE n.token_id = i.token_id AND n.channel = i.channel AND n.recipient = i.recipient AND n.id < i.id
       AND n.event_type = $12 AND n.status = 'pending' AND (n.claimed_until IS NULL OR n.claimed_until < now())
 RETURNING n.superseded_by
)
SELECT i.id, (SELECT count(*) FROM superseded s WHERE s.superseded_by = i.id) AS superseded
  FROM given g
  LEFT JOIN inserted i ON (i.event_id, i.channel, i.recipient) = (g.event_id, g.channel, g.recipient)
 ORDER BY g.ord
"""
# A new ETA update goes out at most once per window: it waits for the window, taking the superseded one's turn.
_COALESCE = f"""
UPDATE notifications t
   SET next_attempt_at = greatest(now(), (
         SELECT max(CASE WHEN status = 'delivered' THEN delivered_at + $2 {_SECOND}
                         WHEN status = 'superseded' THEN next_attempt_at
                         ELSE now() + $2 {_SECOND} END)
           FROM notifications
          WHERE token_id = t.token_id AND channel = t.channel AND recipient = t.recipient AND event_type = $3
            AND id < t.id
            AND (status = 'delivered' OR superseded_by = t.id
                 OR (status = 'pending' AND claimed_until > now()))))
 WHERE t.id = any($1::bigint[])"""


def segments(notifications: Sequence[Notification]) -> list[list[Notification]]:
    """The notifications in order, cut where a patient, channel and recipient comes again: each segment is one
    statement of ``record_many``, and a later message sees (and supersedes) an earlier one of its own batch."""
    cut: list[list[Notification]] = []
    seen: set[tuple[object, str, str]] = set()
    for notification in notifications:
        key = (notification.token_id, notification.channel, notification.recipient)
        if not cut or (notification.token_id is not None and key in seen):
            cut.append([])
            seen.clear()
        cut[-1].append(notification)
        seen.add(key)
    return cut


def statements(notifications: Sequence[Notification], coalesce_seconds: float) -> int:
    """How many statements ``record_many`` runs: one per segment, and one more for a segment's ETA updates when
    they wait for a window."""
    return sum(1 + _coalesces(segment, coalesce_seconds) for segment in segments(notifications))


def _coalesces(segment: Sequence[Notification], coalesce_seconds: float) -> bool:
    return coalesce_seconds > 0 and any(n.event_type == ETA_CHANGED for n in segment)


async def record_many(
    connection: asyncpg.Connection, notifications: Sequence[Notification], coalesce_seconds: float
) -> list[Recorded]:
    """Insert the notifications as pending, in order (each unless recorded before). Call inside a transaction when
    ``statements`` says more than one.

    A newer message to the same patient and channel supersedes an ETA update not yet sent; a new ETA update
    goes out at most once per ``coalesce_seconds`` (it waits for the window, taking the superseded one's turn).
    """
    recorded: list[Recorded] = []
    for segment in segments(notifications):
        columns = [
            [getattr(n, field) for n in segment]
            for field in (
                "event_id",
                "event_type",
                "doctor_id",
                "token_id",
                "token_number",
                "channel",
                "recipient",
                "text",
                "subject",
                "language",
                "correlation_id",
            )
        ]
        rows = await connection.fetch(_RECORD, *columns, ETA_CHANGED)
        done = [Recorded(row["id"], row["superseded"] if row["id"] is not None else 0) for row in rows]
        if _coalesces(segment, coalesce_seconds):
            waiting = [
                r.notification_id
                for n, r in zip(segment, done, strict=True)
                if n.event_type == ETA_CHANGED and n.token_id is not None and r.notification_id is not None
            ]
            if waiting:
                await connection.execute(_COALESCE, waiting, coalesce_seconds, ETA_CHANGED)
        recorded += done
    return recorded


async def record(connection: asyncpg.Connection, notification: Notification, coalesce_seconds: float) -> Recorded:
    """``record_many`` for one notification."""
    (recorded,) = await record_many(connection, [notification], coalesce_seconds)
    return recorded


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


# A batch's attempts and each row's next state in one statement (one round trip, atomic without a transaction):
# delivered; failed with tries left, due again after its delay (unless someone else holds the row by now); or dead
# (no more tries, or refused), with the reason, until a redrive. A row claimed again since (its lease expired) is
# not touched: the attempt that claimed it is in the condition.
_RECORD_OUTCOMES = f"""
WITH attempts AS (
    INSERT INTO delivery_attempts (notification_id, attempt, started_at, finished_at, outcome, error)
    SELECT * FROM unnest($1::bigint[], $2::integer[], $3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[])
    ON CONFLICT (notification_id, attempt)
    DO UPDATE SET outcome = excluded.outcome, error = excluded.error, finished_at = excluded.finished_at
         WHERE excluded.outcome <> 'interrupted'
), outcomes AS (
    SELECT * FROM unnest($7::bigint[], $8::integer[], $9::text[], $10::text[], $11::float8[])
        AS o (id, attempt, status, error, delay)
)
UPDATE notifications n
   SET status = CASE o.status WHEN 'retry' THEN 'pending' ELSE o.status END,
       delivered_at = CASE WHEN o.status = 'delivered' THEN now() ELSE n.delivered_at END,
       last_error = CASE WHEN o.status = 'delivered' THEN n.last_error ELSE o.error END,
       next_attempt_at = CASE WHEN o.status = 'retry' THEN now() + o.delay {_SECOND} ELSE n.next_attempt_at END,
       claimed_by = NULL, claimed_until = NULL, updated_at = now()
  FROM outcomes o
 WHERE n.id = o.id AND n.status = 'pending' AND (o.status = 'delivered' OR n.attempts = o.attempt)
"""


async def record_outcomes(connection: asyncpg.Connection, outcomes: Sequence[Outcome]) -> None:
    """Record a batch's attempts (and the earlier claim an attempt found interrupted), then each row's next state:
    delivered, due again after its delay, or dead. One statement."""
    if not outcomes:
        return
    rows = [row for outcome in outcomes for row in _attempt_rows(outcome)]
    attempts = [[row[column] for row in rows] for column in range(6)]
    await connection.execute(
        _RECORD_OUTCOMES,
        *attempts,
        [o.delivery.id for o in outcomes],
        [o.delivery.attempt for o in outcomes],
        [o.status for o in outcomes],
        [_clip(o.error) for o in outcomes],
        [o.delay_seconds for o in outcomes],
    )


INTERRUPTED = "interrupted: the notifier stopped before recording an outcome"


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
