"""Loading and saving the allocator's state in Postgres. SQLSTATE errors stay inside this module."""

from collections import Counter, defaultdict
from datetime import date, datetime
from typing import NamedTuple
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg

from allocator.domain.alternatives import SlotSeats
from allocator.domain.day import SEATED, Day
from allocator.domain.model import Doctor, Patient, Slot, Token
from allocator.domain.workspace import Changes
from shared.contracts.values import SlotStatus, SlotTemplate, TokenSource, TokenStatus, Weekday


async def load_doctor(connection: asyncpg.Connection, doctor_id: UUID) -> Doctor | None:
    row = await connection.fetchrow("SELECT * FROM doctors WHERE id = $1", doctor_id)
    return None if row is None else (await _with_templates(connection, [row]))[0]


async def load_specialists(connection: asyncpg.Connection, specialization: str, limit: int) -> list[Doctor]:
    """Doctors of a specialization (any case), by name (read-only: they may belong to other shards)."""
    rows = await connection.fetch(
        "SELECT * FROM doctors WHERE lower(specialization) = lower($1) ORDER BY name, id LIMIT $2",
        specialization,
        limit,
    )
    return await _with_templates(connection, rows)


async def materialized_dates(connection: asyncpg.Connection, doctor_id: UUID, first: date) -> list[date]:
    """Dates from ``first`` on for which the doctor's day already has dated slots."""
    rows = await connection.fetch(
        "SELECT DISTINCT date FROM slots WHERE doctor_id = $1 AND date >= $2 ORDER BY date", doctor_id, first
    )
    return [row["date"] for row in rows]


async def doctors_with_day(connection: asyncpg.Connection, day: date) -> list[UUID]:
    """Doctors whose day ``day`` has dated slots (someone booked or changed it): the days the clock acts on."""
    rows = await connection.fetch("SELECT DISTINCT doctor_id FROM slots WHERE date = $1", day)
    return [row["doctor_id"] for row in rows]


async def _with_templates(connection: asyncpg.Connection, rows: list[asyncpg.Record]) -> list[Doctor]:
    """Doctors from their rows, with all their weekly templates read in one query."""
    templates = await connection.fetch(
        "SELECT * FROM slot_templates WHERE doctor_id = any($1::uuid[]) ORDER BY start_time",
        [row["id"] for row in rows],
    )
    by_doctor: dict[UUID, list[asyncpg.Record]] = {row["id"]: [] for row in rows}
    for template in templates:
        by_doctor[template["doctor_id"]].append(template)
    return [_doctor(row, by_doctor[row["id"]]) for row in rows]


def _doctor(row: asyncpg.Record, templates: list[asyncpg.Record]) -> Doctor:
    return Doctor(
        id=row["id"],
        code=row["code"],
        name=row["name"],
        specialization=row["specialization"],
        room=row["room"],
        templates=tuple(
            SlotTemplate(
                start_time=t["start_time"],
                end_time=t["end_time"],
                max_capacity=t["max_capacity"],
                reserved_emergency_slots=t["reserved_emergency"],
                quotas=t["quotas"],
            )
            for t in templates
        ),
        working_days=tuple(Weekday(day) for day in row["working_days"]),
        event_sequence=row["event_sequence"],
        consult_minutes=row["consult_minutes"],
    )


async def load_day(connection: asyncpg.Connection, doctor: Doctor, day: date, zone: ZoneInfo) -> Day:
    return (await load_days(connection, [doctor], day, zone))[doctor.id]


async def load_days(
    connection: asyncpg.Connection, doctors: list[Doctor], day: date, zone: ZoneInfo
) -> dict[UUID, Day]:
    """The doctors' days on ``day``, in three queries whatever their number."""
    ids = [doctor.id for doctor in doctors]
    slot_rows = await connection.fetch(
        "SELECT * FROM slots WHERE doctor_id = any($1::uuid[]) AND date = $2 ORDER BY start_time", ids, day
    )
    token_rows = await connection.fetch(
        "SELECT * FROM tokens WHERE doctor_id = any($1::uuid[]) AND date = $2 ORDER BY arrival", ids, day
    )
    settings_rows = await connection.fetch(
        """SELECT doctor_id, delay_minutes, delay_reason, resume_at FROM doctor_days
            WHERE doctor_id = any($1::uuid[]) AND date = $2""",
        ids,
        day,
    )
    slots: dict[UUID, list[asyncpg.Record]] = {doctor_id: [] for doctor_id in ids}
    tokens: dict[UUID, list[asyncpg.Record]] = {doctor_id: [] for doctor_id in ids}
    for row in slot_rows:
        slots[row["doctor_id"]].append(row)
    for row in token_rows:
        tokens[row["doctor_id"]].append(row)
    settings = {row["doctor_id"]: row for row in settings_rows}
    return {
        doctor.id: _day(doctor, day, zone, slots[doctor.id], tokens[doctor.id], settings.get(doctor.id))
        for doctor in doctors
    }


async def load_slot_seats(
    connection: asyncpg.Connection, doctor_ids: list[UUID], day: date, zone: ZoneInfo
) -> dict[UUID, list[SlotSeats]]:
    """The doctors' dated slots on ``day`` as the seat rule sees them: seat counts and the waitlists' sources,
    in three queries and without building a single token (colleague suggestions read many days)."""
    slot_rows = await connection.fetch(
        """SELECT id, doctor_id, start_time, end_time, max_capacity, reserved_emergency, quotas, status
             FROM slots WHERE doctor_id = any($1::uuid[]) AND date = $2 ORDER BY start_time""",
        doctor_ids,
        day,
    )
    seated_rows = await connection.fetch(
        """SELECT slot_id, source, count(*) AS n FROM tokens
            WHERE doctor_id = any($1::uuid[]) AND date = $2 AND status = any($3::text[])
            GROUP BY slot_id, source""",
        doctor_ids,
        day,
        [status.value for status in SEATED],
    )
    waiting_rows = await connection.fetch(
        """SELECT slot_id, source, count(*) AS n FROM (
                SELECT slot_id, source, place,
                       place - row_number() OVER (PARTITION BY slot_id, source ORDER BY place) AS run
                  FROM (SELECT slot_id, source,
                               row_number() OVER (PARTITION BY slot_id
                                                  ORDER BY queue_priority, queue_position, arrival) AS place
                          FROM tokens WHERE doctor_id = any($1::uuid[]) AND date = $2 AND status = $3) AS queue
            ) AS runs
            GROUP BY slot_id, source, run
            ORDER BY slot_id, min(place)""",
        doctor_ids,
        day,
        TokenStatus.PENDING.value,
    )
    seated: dict[UUID, Counter[TokenSource]] = defaultdict(Counter)
    for row in seated_rows:
        seated[row["slot_id"]][TokenSource(row["source"])] = row["n"]
    waiting: dict[UUID, list[tuple[TokenSource, int]]] = defaultdict(list)
    for row in waiting_rows:  # runs of one source in queue order (gaps and islands)
        waiting[row["slot_id"]].append((TokenSource(row["source"]), row["n"]))
    found: dict[UUID, list[SlotSeats]] = defaultdict(list)
    for r in slot_rows:
        found[r["doctor_id"]].append(
            SlotSeats(
                start_time=r["start_time"],
                end_time=r["end_time"],
                starts_at=datetime.combine(day, r["start_time"], tzinfo=zone),
                ends_at=datetime.combine(day, r["end_time"], tzinfo=zone),
                cancelled=r["status"] == SlotStatus.CANCELLED.value,
                capacity=r["max_capacity"],
                reserved=r["reserved_emergency"],
                quotas={TokenSource(source): quota for source, quota in r["quotas"].items()},
                seated=seated[r["id"]],
                waiting=tuple(waiting[r["id"]]),
            )
        )
    return dict(found)


def _day(
    doctor: Doctor,
    day: date,
    zone: ZoneInfo,
    slot_rows: list[asyncpg.Record],
    token_rows: list[asyncpg.Record],
    settings: asyncpg.Record | None,
) -> Day:
    slots = [
        Slot(
            id=r["id"],
            doctor_id=r["doctor_id"],
            date=r["date"],
            start_time=r["start_time"],
            end_time=r["end_time"],
            capacity=r["max_capacity"],
            reserved=r["reserved_emergency"],
            status=SlotStatus(r["status"]),
            starts_at=datetime.combine(day, r["start_time"], tzinfo=zone),
            ends_at=datetime.combine(day, r["end_time"], tzinfo=zone),
            quotas={TokenSource(source): quota for source, quota in r["quotas"].items()},
            status_reason=r["status_reason"],
        )
        for r in slot_rows
    ]
    tokens = [
        Token(
            id=r["id"],
            token_number=r["token_number"],
            short_number=r["short_number"],
            doctor_id=r["doctor_id"],
            slot_id=r["slot_id"],
            date=r["date"],
            patient=Patient(
                name=r["patient_name"],
                age=r["patient_age"],
                patient_id=r["patient_id"],
                phone=r["phone"],
                email=r["email"],
                language=r["language"],
            ),
            patient_key=r["patient_key"],
            source=TokenSource(r["source"]),
            status=TokenStatus(r["status"]),
            arrival=r["arrival"],
            created_at=r["created_at"],
            updated_at=r["updated_at"],
            overflow=r["overflow"],
            estimated_time=r["estimated_time"],
            announced_eta=r["announced_eta"],
            status_reason=r["status_reason"],
            checked_in_at=r["checked_in_at"],
            called_at=r["called_at"],
            completed_at=r["completed_at"],
            recalls=r["recalls"],
            queue_rank=_queue_rank(r),
        )
        for r in token_rows
    ]
    return Day(
        doctor=doctor,
        date=day,
        slots=slots,
        tokens=tokens,
        delay_minutes=settings["delay_minutes"] if settings else 0,
        delay_reason=settings["delay_reason"] if settings else None,
        resume_at=settings["resume_at"] if settings else None,
    )


def _queue_rank(row: asyncpg.Record) -> tuple[int, float] | None:
    """Stored for every token; only a recall makes it differ from (priority, arrival)."""
    rank = (row["queue_priority"], row["queue_position"])
    return None if rank == (row["priority"], float(row["arrival"])) else rank


async def locate_token(connection: asyncpg.Connection, doctor_id: UUID, ref: str) -> date | None:
    """The date of a doctor's token named by id or token number."""
    try:
        token_id: UUID | None = UUID(ref.strip())
    except ValueError:
        token_id = None
    return await connection.fetchval(  # type: ignore[no-any-return]
        "SELECT date FROM tokens WHERE doctor_id = $1 AND (id = $2 OR lower(token_number) = lower($3))",
        doctor_id,
        token_id,
        ref.strip(),
    )


async def reserve_doctor_code(connection: asyncpg.Connection) -> str:
    return f"D{await connection.fetchval('SELECT nextval($1::regclass)', 'doctor_code_seq')}"


def _token_row(t: Token) -> dict[str, object]:
    p = t.patient
    queue_priority, queue_position = t.order_key
    return {
        "id": t.id, "token_number": t.token_number, "short_number": t.short_number, "doctor_id": t.doctor_id,
        "slot_id": t.slot_id, "date": t.date, "patient_name": p.name, "patient_age": p.age,
        "patient_id": p.patient_id, "phone": p.phone, "email": p.email, "language": p.language,
        "patient_key": t.patient_key, "source": t.source.value, "priority": int(t.priority), "status": t.status.value,
        "is_emergency": t.is_emergency, "overflow": t.overflow, "arrival": t.arrival,
        "estimated_time": t.estimated_time, "announced_eta": t.announced_eta, "status_reason": t.status_reason,
        "created_at": t.created_at, "updated_at": t.updated_at, "checked_in_at": t.checked_in_at,
        "called_at": t.called_at, "completed_at": t.completed_at, "recalls": t.recalls,
        "queue_priority": queue_priority, "queue_position": queue_position,
    }  # fmt: skip


def _quotas(quotas: dict[TokenSource, int]) -> dict[str, int]:
    return {source.value: quota for source, quota in quotas.items()}


def _doctor_row(d: Doctor) -> dict[str, object]:
    return {
        "id": d.id, "code": d.code, "name": d.name, "specialization": d.specialization, "room": d.room,
        "working_days": [w.value for w in d.working_days], "event_sequence": d.event_sequence,
        "consult_minutes": d.consult_minutes,
    }  # fmt: skip


def _day_settings_row(d: Day) -> dict[str, object]:
    return {
        "doctor_id": d.doctor.id, "date": d.date, "delay_minutes": d.delay_minutes, "delay_reason": d.delay_reason,
        "resume_at": d.resume_at,
    }  # fmt: skip


def _template_row(doctor_id: UUID, t: SlotTemplate) -> dict[str, object]:
    return {
        "doctor_id": doctor_id, "start_time": t.start_time, "end_time": t.end_time, "max_capacity": t.max_capacity,
        "reserved_emergency": t.reserved_emergency_slots, "quotas": _quotas(t.quotas),
    }  # fmt: skip


def _slot_row(s: Slot) -> dict[str, object]:
    return {
        "id": s.id, "doctor_id": s.doctor_id, "date": s.date, "start_time": s.start_time, "end_time": s.end_time,
        "max_capacity": s.capacity, "reserved_emergency": s.reserved, "status": s.status.value,
        "quotas": _quotas(s.quotas), "status_reason": s.status_reason,
    }  # fmt: skip


class ChangedRows(NamedTuple):
    """What a batch changed, table by table, as rows keyed by column (``opd_commit_batch``'s arguments)."""

    doctors: list[dict[str, object]]
    days: list[dict[str, object]]
    template_doctors: list[UUID]
    templates: list[dict[str, object]]
    slots: list[dict[str, object]]
    tokens: list[dict[str, object]]


def changed_rows(changes: Changes) -> ChangedRows:
    """Tokens that free a seat come before those that take one, so that the seat checks hold row by row."""
    ordered = sorted(changes.tokens.values(), key=lambda t: t.status in SEATED)
    return ChangedRows(
        doctors=[_doctor_row(d) for d in changes.doctors.values()],
        days=[_day_settings_row(d) for d in changes.days.values()],
        template_doctors=list(changes.templates),
        templates=[
            _template_row(doctor_id, t) for doctor_id in changes.templates for t in changes.doctors[doctor_id].templates
        ],
        slots=[_slot_row(s) for s in changes.slots.values()],
        tokens=[_token_row(t) for t in ordered],
    )
