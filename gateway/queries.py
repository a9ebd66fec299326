"""Read-only SQL for the REST reads. Runs as the read-only role; never writes."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from gateway.bodies import DoctorFacts, SlotToday
from shared.contracts.values import SlotStatus, SlotTemplate, TimeRange, TokenSource, TokenStatus
from shared.contracts.views import DoctorView, SlotView, TokenView
from shared.ids import slot_id
from shared.seats import Ledger

_TOKEN_COLUMNS = """
    t.*, s.start_time AS slot_start, s.end_time AS slot_end,
    CASE WHEN t.status IN ('confirmed', 'pending') THEN
        row_number() OVER (PARTITION BY t.slot_id, t.status ORDER BY t.queue_priority, t.queue_position) END AS place
"""


def _local(instant: datetime | None, zone: ZoneInfo) -> datetime | None:
    return instant.astimezone(zone) if instant else None


def _token_view(row: asyncpg.Record, zone: ZoneInfo) -> TokenView:
    status = TokenStatus(row["status"])
    eta_known = status is TokenStatus.CONFIRMED and row["estimated_time"] is not None
    return TokenView(
        id=row["id"],
        token_number=row["token_number"],
        short_number=row["short_number"],
        patient_name=row["patient_name"],
        patient_age=row["patient_age"],
        patient_id=row["patient_id"],
        phone=row["phone"],
        email=row["email"],
        language=row["language"],
        doctor_id=row["doctor_id"],
        slot_id=row["slot_id"],
        date=row["date"],
        time_slot=TimeRange(start_time=row["slot_start"], end_time=row["slot_end"]),
        source=TokenSource(row["source"]),
        priority=row["priority"],
        status=status,
        is_emergency=row["is_emergency"],
        overflow=row["overflow"],
        position=row["place"] if status is TokenStatus.CONFIRMED else None,
        waitlist_position=row["place"] if status is TokenStatus.PENDING else None,
        estimated_time=row["estimated_time"].astimezone(zone) if eta_known else None,
        checked_in_at=_local(row["checked_in_at"], zone),
        called_at=_local(row["called_at"], zone),
        completed_at=_local(row["completed_at"], zone),
        recalls=row["recalls"],
        created_at=row["created_at"].astimezone(zone),
        updated_at=row["updated_at"].astimezone(zone),
    )


async def token(connection: asyncpg.Connection, ref: str, zone: ZoneInfo) -> TokenView | None:
    """A token by id or token number, with its place in the slot."""
    try:
        token_id: UUID | None = UUID(ref.strip())
    except ValueError:
        token_id = None
    row = await connection.fetchrow(
        f"""SELECT * FROM (
                SELECT {_TOKEN_COLUMNS} FROM tokens t JOIN slots s ON s.id = t.slot_id
                 WHERE t.slot_id IN (SELECT slot_id FROM tokens
                                      WHERE id = $1 OR lower(token_number) = lower($2))
            ) ranked WHERE id = $1 OR lower(token_number) = lower($2)""",
        token_id,
        ref.strip(),
    )
    return _token_view(row, zone) if row else None


async def token_doctor(connection: asyncpg.Connection, ref: str) -> tuple[UUID, UUID] | None:
    """The token's id and its doctor (the shard a command about it must go to)."""
    try:
        token_id: UUID | None = UUID(ref.strip())
    except ValueError:
        token_id = None
    row = await connection.fetchrow(
        "SELECT id, doctor_id FROM tokens WHERE id = $1 OR lower(token_number) = lower($2)", token_id, ref.strip()
    )
    return (row["id"], row["doctor_id"]) if row is not None else None


async def doctor_tokens(
    connection: asyncpg.Connection, doctor_id: UUID, day: date, status: TokenStatus | None, zone: ZoneInfo
) -> list[TokenView]:
    rows = await connection.fetch(
        f"""SELECT * FROM (
                SELECT {_TOKEN_COLUMNS} FROM tokens t JOIN slots s ON s.id = t.slot_id
                 WHERE t.doctor_id = $1 AND t.date = $2
            ) ranked
            WHERE $3::text IS NULL OR status = $3
            ORDER BY slot_start, status <> 'confirmed', queue_priority, queue_position""",
        doctor_id,
        day,
        status.value if status else None,
    )
    return [_token_view(row, zone) for row in rows]


async def _templates(connection: asyncpg.Connection, doctor_ids: list[UUID]) -> dict[UUID, list[SlotTemplate]]:
    rows = await connection.fetch(
        "SELECT * FROM slot_templates WHERE doctor_id = any($1::uuid[]) ORDER BY start_time", doctor_ids
    )
    found: dict[UUID, list[SlotTemplate]] = {doctor_id: [] for doctor_id in doctor_ids}
    for r in rows:
        found[r["doctor_id"]].append(
            SlotTemplate(
                start_time=r["start_time"],
                end_time=r["end_time"],
                max_capacity=r["max_capacity"],
                reserved_emergency_slots=r["reserved_emergency"],
                quotas=r["quotas"],
            )
        )
    return found


def _doctor_view(row: asyncpg.Record, templates: list[SlotTemplate]) -> DoctorView:
    return DoctorView(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        specialization=row["specialization"],
        room=row["room"],
        time_slots=tuple(templates),
        working_days=tuple(row["working_days"]),
    )


async def doctors(
    connection: asyncpg.Connection, specialization: str | None, limit: int, offset: int
) -> tuple[list[DoctorView], int]:
    rows = await connection.fetch(
        """SELECT *, count(*) OVER () AS total FROM doctors
            WHERE $1::text IS NULL OR lower(specialization) = lower($1)
            ORDER BY name, id LIMIT $2 OFFSET $3""",
        specialization,
        limit,
        offset,
    )
    templates = await _templates(connection, [r["id"] for r in rows])
    total = rows[0]["total"] if rows else 0
    return [_doctor_view(r, templates[r["id"]]) for r in rows], total


async def doctor(connection: asyncpg.Connection, doctor_id: UUID) -> DoctorView | None:
    row = await connection.fetchrow("SELECT * FROM doctors WHERE id = $1", doctor_id)
    if row is None:
        return None
    return _doctor_view(row, (await _templates(connection, [doctor_id]))[doctor_id])


async def schedule(
    connection: asyncpg.Connection, found: DoctorView, day: date, zone: ZoneInfo, now: datetime, release_reserve: bool
) -> list[SlotView]:
    """The doctor's slots that day with occupancy; days nobody booked yet come from the weekly templates."""
    rows = await connection.fetch(
        """SELECT s.*,
                  (SELECT count(*) FROM tokens t WHERE t.slot_id = s.id AND t.status = 'pending') AS waiting,
                  (SELECT coalesce(jsonb_object_agg(c.source, c.n), '{}'::jsonb)
                     FROM (SELECT source, count(*) AS n FROM tokens t
                            WHERE t.slot_id = s.id AND t.status IN ('confirmed', 'completed')
                            GROUP BY source) c) AS confirmed
             FROM slots s WHERE s.doctor_id = $1 AND s.date = $2 ORDER BY s.start_time""",
        found.id,
        day,
    )
    if not rows:
        if day.strftime("%A") not in found.working_days:
            return []
        rows = [
            {
                "id": slot_id(found.id, day, t.start_time),
                "start_time": t.start_time,
                "end_time": t.end_time,
                "max_capacity": t.max_capacity,
                "reserved_emergency": t.reserved_emergency_slots,
                "quotas": {source.value: quota for source, quota in t.quotas.items()},
                "status": SlotStatus.AVAILABLE.value,
                "status_reason": None,
                "confirmed": {},
                "waiting": 0,
            }
            for t in found.time_slots
        ]
    return [_slot_view(found.id, day, row, zone, now, release_reserve) for row in rows]


async def seated(connection: asyncpg.Connection, slot_ids: list[UUID]) -> dict[UUID, list[UUID]]:
    """The tokens holding a seat (confirmed or completed) in each slot, in consultation order."""
    rows = await connection.fetch(
        """SELECT slot_id, id FROM tokens
            WHERE slot_id = any($1::uuid[]) AND status IN ('confirmed', 'completed')
            ORDER BY queue_priority, queue_position""",
        slot_ids,
    )
    found: dict[UUID, list[UUID]] = {slot: [] for slot in slot_ids}
    for row in rows:
        found[row["slot_id"]].append(row["id"])
    return found


async def doctor_facts(connection: asyncpg.Connection, doctor_ids: list[UUID], today: date) -> dict[UUID, DoctorFacts]:
    """When each doctor was created, and their slots today: seats taken, cancelled or not."""
    rows = await connection.fetch(
        """SELECT d.id, d.created_at, s.start_time, s.status,
                  (SELECT count(*) FROM tokens t
                    WHERE t.slot_id = s.id AND t.status IN ('confirmed', 'completed')) AS taken
             FROM doctors d LEFT JOIN slots s ON s.doctor_id = d.id AND s.date = $2
            WHERE d.id = any($1::uuid[])""",
        doctor_ids,
        today,
    )
    created = {row["id"]: row["created_at"] for row in rows}
    slots: dict[UUID, dict[str, SlotToday]] = {doctor_id: {} for doctor_id in created}
    for row in rows:
        if row["start_time"] is not None:
            slots[row["id"]][f"{row['start_time']:%H:%M}"] = SlotToday(row["taken"], row["status"] == "cancelled")
    return {doctor_id: DoctorFacts(created[doctor_id], slots[doctor_id]) for doctor_id in created}


def _slot_view(doctor_id: UUID, day: date, row: Any, zone: ZoneInfo, now: datetime, release_reserve: bool) -> SlotView:
    quotas = {TokenSource(source): quota for source, quota in row["quotas"].items()}
    ledger = Ledger.of(
        row["max_capacity"],
        row["reserved_emergency"],
        quotas,
        now >= datetime.combine(day, row["start_time"], tzinfo=zone),
        {TokenSource(source): n for source, n in row["confirmed"].items()},
        release_reserve,
    )
    return SlotView(
        id=row["id"],
        doctor_id=doctor_id,
        date=day,
        start_time=f"{row['start_time']:%H:%M}",
        end_time=f"{row['end_time']:%H:%M}",
        max_capacity=row["max_capacity"],
        reserved_emergency_slots=row["reserved_emergency"],
        quotas=row["quotas"],
        current_count=ledger.occupied,
        regular_count=ledger.regular,
        emergency_count=ledger.emergency,
        waitlist_count=row["waiting"],
        regular_seats_left=ledger.regular_seats_left,
        quota_seats_left={source.value: ledger.seats_for(source) for source in quotas},
        emergency_seats_left=ledger.emergency_seats_left,
        overflow_used=ledger.overflow_used,
        status=SlotStatus(row["status"]),
        status_reason=row["status_reason"],
    )


async def queue(
    connection: asyncpg.Connection, doctor_id: UUID, day: date, zone: ZoneInfo, upcoming: int
) -> dict[str, Any]:
    """The live queue: who is with the doctor, who comes next (with ETAs), who waits for a seat, and counts."""
    tokens = await doctor_tokens(connection, doctor_id, day, None, zone)
    serving = next((t for t in tokens if t.status is TokenStatus.CONFIRMED and t.called_at is not None), None)
    waiting = [t for t in tokens if t.status is TokenStatus.CONFIRMED and t.called_at is None]
    waiting.sort(key=lambda t: (t.estimated_time is None, t.estimated_time or t.created_at))  # the call order
    pending = [t for t in tokens if t.status is TokenStatus.PENDING]
    pace = await connection.fetchrow(
        """SELECT d.consult_minutes, coalesce(dd.delay_minutes, 0) AS delay_minutes, dd.delay_reason
             FROM doctors d LEFT JOIN doctor_days dd ON dd.doctor_id = d.id AND dd.date = $2
            WHERE d.id = $1""",
        doctor_id,
        day,
    )
    counts = {status.value: sum(1 for t in tokens if t.status is status) for status in TokenStatus}
    return {
        "date": day.isoformat(),
        "nowServing": serving,
        "next": waiting[:upcoming],
        "waitlist": pending,
        "counts": {**counts, "waiting": len(waiting), "checkedIn": sum(1 for t in waiting if t.checked_in_at)},
        "consultMinutes": round(pace["consult_minutes"], 1) if pace and pace["consult_minutes"] else None,
        "delayMinutes": pace["delay_minutes"] if pace else 0,
        "delayReason": pace["delay_reason"] if pace else None,
    }


@dataclass(frozen=True, slots=True)
class CommandOutcome:
    """A decided command: its type, its stored reply and who sent it (None for commands older than issuers)."""

    command_type: str
    reply: dict[str, Any]
    issuer: str | None


async def command_reply(connection: asyncpg.Connection, command_id: UUID) -> CommandOutcome | None:
    """The command's outcome, once the allocator has decided."""
    row = await connection.fetchrow("SELECT command_type, reply, issuer FROM inbox WHERE command_id = $1", command_id)
    return CommandOutcome(row["command_type"], row["reply"], row["issuer"]) if row is not None else None


async def patients_before(connection: asyncpg.Connection, token_id: UUID) -> int:
    """Confirmed patients of the token's doctor that day who come before it and have not been called yet."""
    count: int = await connection.fetchval(
        """SELECT count(*) FROM tokens t JOIN slots s ON s.id = t.slot_id,
                  (SELECT m.doctor_id, m.date, ms.start_time, m.queue_priority, m.queue_position
                     FROM tokens m JOIN slots ms ON ms.id = m.slot_id WHERE m.id = $1) me
            WHERE t.doctor_id = me.doctor_id AND t.date = me.date AND t.id <> $1
              AND t.status = 'confirmed' AND t.called_at IS NULL
              AND (s.start_time, t.queue_priority, t.queue_position)
                  < (me.start_time, me.queue_priority, me.queue_position)""",
        token_id,
    )
    return count


async def tokens_of_phone(
    connection: asyncpg.Connection, phone_tail: str, day: date, zone: ZoneInfo
) -> list[TokenView]:
    """The day's tokens booked with a phone number ending in ``phone_tail`` (its last ten digits): active ones
    first, then by slot and queue order."""
    rows = await connection.fetch(
        f"""SELECT * FROM (
                SELECT {_TOKEN_COLUMNS} FROM tokens t JOIN slots s ON s.id = t.slot_id
                 WHERE t.slot_id IN (SELECT slot_id FROM tokens WHERE date = $2
                                       AND right(regexp_replace(phone, '[^0-9]', '', 'g'), 10) = $1)
            ) ranked
            WHERE right(regexp_replace(phone, '[^0-9]', '', 'g'), 10) = $1
            ORDER BY status NOT IN ('confirmed', 'pending'), slot_start, queue_priority, queue_position""",
        phone_tail,
        day,
    )
    return [_token_view(row, zone) for row in rows]
