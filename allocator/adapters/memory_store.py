"""The processor's ports in memory: the same contract as PostgreSQL's store, for fast tests of the service layer.

It keeps copies of what was committed, so the processor's own objects never alias the stored state, and it
enforces what the processor relies on: fencing by epoch, one outcome per command id, all-or-nothing commits.
The seat-count constraints stay PostgreSQL's (the last line of defence, tested against the real server).
"""

import copy
from dataclasses import dataclass, field
from datetime import date, datetime, time
from uuid import UUID

from allocator.domain.alternatives import SlotSeats, seats_of_day
from allocator.domain.day import Day
from allocator.domain.model import Doctor, Slot, Token
from allocator.service.ports import BatchWrite, Fenced, InboxRow, StoredReply
from shared.contracts.events import AnyEvent


@dataclass(slots=True)
class DaySettings:
    delay_minutes: int = 0
    delay_reason: str | None = None
    resume_at: datetime | None = None


@dataclass(slots=True)
class MemoryStore:
    """Implements ``StateStore`` and ``MessageStore``. ``commits`` counts the batch commits that wrote."""

    doctors: dict[UUID, Doctor] = field(default_factory=dict)
    slots: dict[UUID, Slot] = field(default_factory=dict)
    tokens: dict[UUID, Token] = field(default_factory=dict)
    day_settings: dict[tuple[UUID, date], DaySettings] = field(default_factory=dict)
    inbox: dict[UUID, StoredReply] = field(default_factory=dict)
    outbox: list[AnyEvent] = field(default_factory=list)
    published: set[UUID] = field(default_factory=set)
    leases: dict[int, int] = field(default_factory=dict)
    commits: int = 0
    codes_reserved: int = 0

    def unavailable(self, exc: BaseException) -> bool:
        """Memory never goes away: every failure is the batch's own."""
        return False

    async def load_doctor(self, doctor_id: UUID) -> Doctor | None:
        return copy.deepcopy(self.doctors.get(doctor_id))

    async def load_day(self, doctor: Doctor, day: date) -> Day:
        slots = sorted((s for s in self.slots.values() if s.doctor_id == doctor.id and s.date == day), key=_start)
        tokens = sorted((t for t in self.tokens.values() if t.doctor_id == doctor.id and t.date == day), key=_arrival)
        settings = self.day_settings.get((doctor.id, day), DaySettings())
        return Day(
            doctor=doctor,
            date=day,
            slots=copy.deepcopy(slots),
            tokens=copy.deepcopy(tokens),
            delay_minutes=settings.delay_minutes,
            delay_reason=settings.delay_reason,
            resume_at=settings.resume_at,
        )

    async def materialized_dates(self, doctor_id: UUID, first: date) -> list[date]:
        return sorted({s.date for s in self.slots.values() if s.doctor_id == doctor_id and s.date >= first})

    async def doctors_with_day(self, day: date) -> list[UUID]:
        return sorted({s.doctor_id for s in self.slots.values() if s.date == day})

    async def locate_token(self, doctor_id: UUID, ref: str) -> date | None:
        wanted = ref.strip().lower()
        try:
            token_id: UUID | None = UUID(wanted)
        except ValueError:
            token_id = None
        for token in self.tokens.values():
            if token.doctor_id == doctor_id and (token.id == token_id or token.token_number.lower() == wanted):
                return token.date
        return None

    async def reserve_doctor_code(self) -> str:
        self.codes_reserved += 1
        return f"D{self.codes_reserved}"

    async def specialists(self, specialization: str, limit: int) -> list[Doctor]:
        chosen = [d for d in self.doctors.values() if d.specialization.lower() == specialization.lower()]
        return copy.deepcopy(sorted(chosen, key=lambda d: (d.name, d.id))[:limit])

    async def slot_seats(self, doctor_ids: list[UUID], day: date) -> dict[UUID, list[SlotSeats]]:
        found = {}
        for doctor_id in doctor_ids:
            doctor = self.doctors.get(doctor_id)
            seats = seats_of_day(await self.load_day(doctor, day)) if doctor is not None else []
            if seats:
                found[doctor_id] = seats
        return found

    async def acquire_lease(self, shard: int, holder: str) -> int:
        self.leases[shard] = self.leases.get(shard, 0) + 1
        return self.leases[shard]

    async def commit(self, batch: BatchWrite) -> dict[UUID, StoredReply]:
        self._check_lease(batch.shard, batch.epoch)
        ids = [row.command.command_id for row in batch.inbox]
        found = {command_id: self.inbox[command_id] for command_id in ids if command_id in self.inbox}
        if found:
            return found
        self.published.update(batch.published)
        changes = batch.changes
        self._check_unique(batch)
        for doctor_id, doctor in copy.deepcopy(changes.doctors).items():
            stored = self.doctors.get(doctor_id)
            if stored is not None and doctor_id not in changes.templates:  # as PostgreSQL: templates when listed
                doctor.templates = stored.templates
            self.doctors[doctor_id] = doctor
        for (doctor_id, day), held in changes.days.items():
            self.day_settings[(doctor_id, day)] = DaySettings(held.delay_minutes, held.delay_reason, held.resume_at)
        self.slots.update(copy.deepcopy(changes.slots))
        self.tokens.update(copy.deepcopy(changes.tokens))
        for row in batch.inbox:
            self.inbox[row.command.command_id] = row.stored
        self.outbox.extend(batch.outbox)
        self.commits += 1
        return {}

    async def record_failure(self, shard: int, epoch: int, row: InboxRow) -> StoredReply:
        self._check_lease(shard, epoch)
        return self.inbox.setdefault(row.command.command_id, row.stored)

    def _check_unique(self, batch: BatchWrite) -> None:
        """PostgreSQL's unique constraints the processor relies on: token numbers, one sequence per doctor."""
        numbers = {t.token_number: t.id for t in self.tokens.values()}
        for token in batch.changes.tokens.values():
            if numbers.setdefault(token.token_number, token.id) != token.id:
                raise ValueError(f"duplicate token number {token.token_number}")
        sequences = {(e.doctor_id, e.sequence) for e in self.outbox}
        for event in batch.outbox:
            if (event.doctor_id, event.sequence) in sequences:
                raise ValueError(f"duplicate event sequence {event.sequence} of doctor {event.doctor_id}")
            sequences.add((event.doctor_id, event.sequence))

    def _check_lease(self, shard: int, epoch: int) -> None:
        if self.leases.get(shard) != epoch:
            raise Fenced(f"shard {shard}: epoch {epoch} is no longer current")


def _start(slot: Slot) -> time:
    return slot.start_time


def _arrival(token: Token) -> int:
    return token.arrival
