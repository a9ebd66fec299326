"""Entities of one doctor's day. Plain mutable dataclasses owned by a workspace."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from uuid import UUID

from shared.contracts.values import Priority, SlotStatus, SlotTemplate, TokenSource, TokenStatus, Weekday, range_label

PRIORITIES = {source: source.priority for source in TokenSource}


@dataclass(slots=True, eq=False)  # an entity: equal only to itself
class Doctor:
    id: UUID
    code: str
    name: str
    specialization: str
    room: str | None
    templates: tuple[SlotTemplate, ...]
    working_days: tuple[Weekday, ...]
    event_sequence: int = 0
    consult_minutes: float | None = None  # measured (moving average); None until observed

    def works_on(self, day: date) -> bool:
        return day.strftime("%A") in self.working_days  # weekdays are their names


@dataclass(slots=True, eq=False)  # an entity: equal only to itself
class Slot:
    id: UUID
    doctor_id: UUID
    date: date
    start_time: time
    end_time: time
    capacity: int
    reserved: int
    status: SlotStatus
    starts_at: datetime
    ends_at: datetime
    quotas: dict[TokenSource, int] = field(default_factory=dict)
    status_reason: str | None = None

    @property
    def consult_minutes(self) -> float:
        return (self.ends_at - self.starts_at) / timedelta(minutes=1) / self.capacity

    def label(self) -> str:
        return range_label(self.start_time, self.end_time)


@dataclass(slots=True)
class Patient:
    name: str
    age: int
    patient_id: str | None = None
    phone: str | None = None
    email: str | None = None
    language: str | None = None


@dataclass(slots=True, eq=False)  # an entity: equal only to itself
class Token:
    id: UUID
    token_number: str
    short_number: str
    doctor_id: UUID
    slot_id: UUID
    date: date
    patient: Patient
    patient_key: str
    source: TokenSource
    status: TokenStatus
    arrival: int
    created_at: datetime
    updated_at: datetime
    overflow: bool = False
    estimated_time: datetime | None = None
    announced_eta: datetime | None = None  # the ETA the last event about the token carried
    status_reason: str | None = None
    checked_in_at: datetime | None = None
    called_at: datetime | None = None
    completed_at: datetime | None = None
    recalls: int = 0
    queue_rank: tuple[int, float] | None = None  # set when a recall moved the token back in the queue

    @property
    def priority(self) -> Priority:
        return PRIORITIES[self.source]

    @property
    def in_consultation(self) -> bool:
        return self.status is TokenStatus.CONFIRMED and self.called_at is not None

    @property
    def is_emergency(self) -> bool:
        return self.source is TokenSource.EMERGENCY

    @property
    def order_key(self) -> tuple[int, float]:
        """Consultation and promotion order: (priority, arrival), unless a recall moved the token back."""
        return self.queue_rank or (int(PRIORITIES[self.source]), float(self.arrival))
