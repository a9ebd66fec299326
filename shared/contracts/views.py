"""Read models returned in replies and carried by events (camelCase on the wire)."""

import datetime as dt
from uuid import UUID

from shared.contracts.base import Contract
from shared.contracts.values import (
    Priority,
    SlotStatus,
    SlotTemplate,
    TimeRange,
    TokenSource,
    TokenStatus,
    Weekday,
)


class DoctorView(Contract):
    id: UUID
    code: str
    name: str
    specialization: str
    room: str | None = None
    time_slots: tuple[SlotTemplate, ...]
    working_days: tuple[Weekday, ...]


class DoctorBrief(Contract):
    """Whom the patient will see and where: enough for a token slip."""

    id: UUID
    code: str
    name: str
    specialization: str
    room: str | None = None


class SlotView(Contract):
    """A dated slot with its occupancy."""

    id: UUID
    doctor_id: UUID
    date: dt.date
    start_time: str
    end_time: str
    max_capacity: int
    reserved_emergency_slots: int
    quotas: dict[str, int] = {}
    current_count: int
    regular_count: int
    emergency_count: int
    waitlist_count: int
    regular_seats_left: int
    quota_seats_left: dict[str, int] = {}
    emergency_seats_left: int
    overflow_used: bool
    status: SlotStatus
    status_reason: str | None = None


class TokenView(Contract):
    """A token as clients see it; ``position`` is set when confirmed, ``waitlistPosition`` when pending."""

    id: UUID
    token_number: str
    short_number: str
    patient_name: str
    patient_age: int
    patient_id: str | None = None
    phone: str | None = None
    email: str | None = None
    language: str | None = None
    doctor_id: UUID
    slot_id: UUID
    date: dt.date
    time_slot: TimeRange
    source: TokenSource
    priority: Priority
    status: TokenStatus
    is_emergency: bool
    overflow: bool = False
    position: int | None = None
    waitlist_position: int | None = None
    estimated_time: dt.datetime | None = None
    checked_in_at: dt.datetime | None = None
    called_at: dt.datetime | None = None
    completed_at: dt.datetime | None = None
    recalls: int = 0
    created_at: dt.datetime
    updated_at: dt.datetime | None = None
