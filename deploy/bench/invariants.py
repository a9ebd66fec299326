"""Invariants of a finished run, checked in Postgres: seats, quotas, duplicates, outcomes, notifications.

Each check is one query that counts offending rows; a violation names the rule, the count and a few examples.
``exactly_once`` adds what a load generator knows: the command ids it had accepted by the broker.
"""

import asyncio
import time
from collections.abc import Collection
from dataclasses import dataclass
from uuid import UUID

import asyncpg

from shared import db

SEATED = "('confirmed', 'completed')"
ACTIVE = "('pending', 'confirmed')"


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    count: int
    examples: tuple[str, ...] = ()

    def __str__(self) -> str:
        shown = f" e.g. {', '.join(self.examples)}" if self.examples else ""
        return f"{self.rule}: {self.count}{shown}"


# (rule, query returning one row per offence with a printable ``example`` column)
CHECKS: tuple[tuple[str, str], ...] = (
    (
        "seat rule: regular seats above capacity, or more than capacity + 1 seated",
        f"""SELECT s.id::text AS example
              FROM slots s LEFT JOIN tokens t ON t.slot_id = s.id AND t.status IN {SEATED}
             GROUP BY s.id
            HAVING count(t.id) FILTER (WHERE NOT t.is_emergency) > s.max_capacity
                OR count(t.id) > s.max_capacity + 1""",
    ),
    (
        "seat rule: slot counters disagree with its tokens",
        f"""SELECT s.id::text AS example
              FROM slots s LEFT JOIN tokens t ON t.slot_id = s.id AND t.status IN {SEATED}
             GROUP BY s.id
            HAVING count(t.id) FILTER (WHERE NOT t.is_emergency) <> s.regular_count
                OR count(t.id) FILTER (WHERE t.is_emergency) <> s.emergency_count""",
    ),
    (
        "seat rule: overflow seat held by a non-emergency",
        "SELECT token_number AS example FROM tokens WHERE overflow AND NOT is_emergency",
    ),
    (
        "quota exceeded",
        f"""SELECT s.id::text || ' ' || q.key AS example
              FROM slots s CROSS JOIN LATERAL jsonb_each_text(s.quotas) AS q (key, value)
              LEFT JOIN tokens t ON t.slot_id = s.id AND t.source = q.key AND t.status IN {SEATED}
             GROUP BY s.id, q.key, q.value
            HAVING count(t.id) > q.value::int""",
    ),
    (
        "duplicate active token (patient, doctor, date)",
        f"""SELECT patient_key || ' ' || date AS example FROM tokens WHERE status IN {ACTIVE}
             GROUP BY doctor_id, date, patient_key HAVING count(*) > 1""",
    ),
    (
        "command without exactly one outcome (ok flag and reply disagree)",
        """SELECT command_id::text AS example FROM inbox
            WHERE reply->>'commandId' IS DISTINCT FROM command_id::text
               OR (reply->>'ok')::boolean IS DISTINCT FROM ok
               OR ok = (jsonb_typeof(reply->'error') = 'object')""",
    ),
    (
        "promotion without a notification",
        """SELECT o.event_id::text AS example FROM outbox o
            WHERE o.routing_key = 'token.promoted'
              AND NOT EXISTS (SELECT FROM notifications n WHERE n.event_id = o.event_id)""",
    ),
)

# Commands the load generator had accepted by the broker but that have no outcome.
LOST = (
    "SELECT c::text AS example FROM unnest($1::uuid[]) AS c WHERE NOT EXISTS (SELECT FROM inbox WHERE command_id = c)"
)
# A command applied twice shows as two tokens for its patient (the load gives each booking its own patient id),
# or as the same event twice for one token with the command as its cause.
DOUBLED_TOKENS = """SELECT patient_id AS example FROM tokens WHERE patient_id = any($1::text[])
                     GROUP BY patient_id HAVING count(*) > 1"""
DOUBLED_EVENTS = """SELECT causation || ' ' || routing_key AS example
                      FROM (SELECT body->>'causationId' AS causation, routing_key,
                                   body->'payload'->'token'->>'id' AS token
                              FROM outbox WHERE body->>'causationId' = any($1::text[])) e
                     GROUP BY causation, routing_key, token HAVING count(*) > 1"""


async def _offences(connection: asyncpg.Connection, rule: str, query: str, *args: object) -> Violation | None:
    rows = await connection.fetch(query, *args)
    if not rows:
        return None
    return Violation(rule, len(rows), tuple(str(row["example"]) for row in rows[:3]))


async def check_invariants(dsn: str) -> list[Violation]:
    """Every rule in ``CHECKS``; an empty list means the database is consistent."""
    connection = await db.connect_explained(dsn)
    try:
        found = [await _offences(connection, rule, query) for rule, query in CHECKS]
    finally:
        await connection.close()
    return [violation for violation in found if violation is not None]


async def exactly_once(dsn: str, sent: Collection[UUID]) -> list[Violation]:
    """Every command the broker accepted has its outcome (none lost), and none took effect twice."""
    ids = list(sent)
    texts = [str(command_id) for command_id in ids]
    connection = await db.connect(dsn)
    try:
        found = [
            await _offences(connection, "accepted command without an outcome (lost, or never processed)", LOST, ids),
            await _offences(connection, "doubled command (two tokens for one booking)", DOUBLED_TOKENS, texts),
            await _offences(connection, "doubled command (an event repeated)", DOUBLED_EVENTS, texts),
        ]
    finally:
        await connection.close()
    return [violation for violation in found if violation is not None]


async def promotions(dsn: str) -> int:
    """How many promotions the run made (each one was checked for its notification)."""
    connection = await db.connect(dsn)
    try:
        return await connection.fetchval(  # type: ignore[no-any-return]
            "SELECT count(*) FROM outbox WHERE routing_key = 'token.promoted'"
        )
    finally:
        await connection.close()


async def wait_for_outcomes(dsn: str, sent: Collection[UUID], timeout: float = 60.0) -> bool:
    """Wait until every accepted command has its outcome (some may still be queued when the load stops: answered
    202, or held up by a fault); False on timeout, and what is missing then counts as lost."""
    ids = list(sent)
    deadline = time.monotonic() + timeout
    connection = await db.connect(dsn)
    try:
        while True:
            if not await connection.fetch(LOST + " LIMIT 1", ids):
                return True
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.5)
    finally:
        await connection.close()


async def wait_settled(dsn: str, timeout: float = 30.0) -> bool:
    """Wait until every event is relayed and every promotion recorded by the notifier; False on timeout."""
    deadline = time.monotonic() + timeout
    connection = await db.connect(dsn)
    try:
        while True:
            pending = await connection.fetchval(
                """SELECT (SELECT count(*) FROM outbox WHERE published_at IS NULL)
                        + (SELECT count(*) FROM outbox o WHERE o.routing_key = 'token.promoted'
                              AND NOT EXISTS (SELECT FROM notifications n WHERE n.event_id = o.event_id))"""
            )
            if pending == 0:
                return True
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.2)
    finally:
        await connection.close()
