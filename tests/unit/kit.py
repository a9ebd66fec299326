"""A small driver for the pure allocation domain: one doctor's workspace, commands in, views and events out."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import count
from typing import Any, TypeVar
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from allocator.domain.context import CommandContext
from allocator.domain.day import Day
from allocator.domain.handlers import handle
from allocator.domain.handlers.doctors import create_doctor
from allocator.domain.model import Slot, Token
from allocator.domain.policy import Policy
from allocator.domain.views import token_view
from allocator.domain.workspace import EventDraft, Workspace
from shared.contracts.base import Contract
from shared.contracts.commands import (
    AddEmergency,
    AddEmergencyPayload,
    BookToken,
    BookTokenPayload,
    CancelToken,
    CancelTokenPayload,
    CommandBase,
    CreateDoctor,
    CreateDoctorPayload,
    MarkNoShow,
    MarkNoShowPayload,
    Reallocate,
    ReallocatePayload,
)
from shared.contracts.events import EventBase
from shared.contracts.values import SlotTemplate, TimeRange, TokenSource, TokenStatus
from shared.contracts.views import TokenView
from shared.errors import ErrorCode, Rejection

ZONE = ZoneInfo("Asia/Kolkata")
MONDAY = date(2026, 1, 5)
SUNDAY = date(2026, 1, 11)

C = TypeVar("C", bound=CommandBase)


def at(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    """An instant on the hospital's wall clock."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def template(label: str, capacity: int, reserved: int = 1) -> SlotTemplate:
    start, end = label.split("-")
    return SlotTemplate(
        start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end),
        max_capacity=capacity,
        reserved_emergency_slots=reserved,
    )


def time_range(label: str) -> TimeRange:
    start, end = label.split("-")
    return TimeRange(start_time=time.fromisoformat(start), end_time=time.fromisoformat(end))


def command(kind: type[C], payload: Contract, now: datetime) -> C:
    return kind(command_id=uuid4(), issued_at=now, source="test", payload=payload)


@contextmanager
def rejected(code: ErrorCode) -> Iterator[pytest.ExceptionInfo[Rejection]]:
    """Expect a Rejection with that machine code."""
    with pytest.raises(Rejection) as caught:
        yield caught
    assert caught.value.code is code, caught.value.message


@dataclass
class Clinic:
    """One doctor in a fresh workspace, driven through the handler registry at a settable ``now``."""

    ws: Workspace
    doctor_id: UUID
    now: datetime
    last: dict[str, Any] = field(default_factory=dict)
    _names: Iterator[int] = field(default_factory=lambda: count(1))

    @classmethod
    def open(cls, *templates: SlotTemplate, now: datetime | None = None, specialization: str = "ENT") -> "Clinic":
        now = now or at(8)
        ws = Workspace(Policy(zone=ZONE), new_id=uuid4)
        doctor_id = uuid4()
        payload = CreateDoctorPayload(
            doctor_id=doctor_id,
            name="Dr. Test",
            specialization=specialization,
            time_slots=templates or (template("09:00-10:00", 4),),
        )
        ctx = CommandContext(now=now, command_id=uuid4(), doctor_code="D1")
        create_doctor(ws, command(CreateDoctor, payload, now), ctx)
        ws.changes.events.clear()
        return cls(ws=ws, doctor_id=doctor_id, now=now)

    # -- commands ------------------------------------------------------------------------------------------

    def run(self, kind: type[CommandBase], payload: Contract) -> dict[str, Any]:
        """Handle one command at ``now``; the raw result is also kept in ``last``."""
        ctx = CommandContext(now=self.now, command_id=uuid4())
        self.last = handle(self.ws, command(kind, payload, self.now), ctx)
        return self.last

    def book(
        self,
        name: str | None = None,
        age: int = 30,
        *,
        source: TokenSource = TokenSource.WALKIN,
        slot: str | None = None,
        waitlist: bool = True,
        **details: Any,
    ) -> TokenView:
        payload = BookTokenPayload(
            doctor_id=details.pop("doctor_id", self.doctor_id),
            patient_name=name or self._fresh_name(),
            patient_age=age,
            source=source,
            time_slot=time_range(slot) if slot else None,
            waitlist=waitlist,
            **details,
        )
        return self._token(self.run(BookToken, payload))

    def emergency(
        self, name: str | None = None, age: int = 40, *, slot: str | None = None, **details: Any
    ) -> TokenView:
        payload = AddEmergencyPayload(
            doctor_id=self.doctor_id,
            patient_name=name or self._fresh_name(),
            patient_age=age,
            time_slot=time_range(slot) if slot else None,
            **details,
        )
        return self._token(self.run(AddEmergency, payload))

    def cancel(self, ref: str, reason: str | None = None) -> dict[str, Any]:
        return self.run(CancelToken, CancelTokenPayload(doctor_id=self.doctor_id, token_id=ref, reason=reason))

    def no_show(self, ref: str) -> dict[str, Any]:
        return self.run(MarkNoShow, MarkNoShowPayload(doctor_id=self.doctor_id, token_id=ref))

    def reallocate(self) -> dict[str, Any]:
        return self.run(Reallocate, ReallocatePayload(doctor_id=self.doctor_id))

    # -- state ---------------------------------------------------------------------------------------------

    @property
    def day(self) -> Day:
        return self.ws.day(self.ws.doctors[self.doctor_id], MONDAY)

    def slot(self, label: str) -> Slot:
        return next(slot for slot in self.day.slots if slot.label() == label)

    def token(self, number: str) -> Token:
        """A token by its token number or short number (``T001``, ``E01``)."""
        return next(t for t in self.day.tokens if number in (t.token_number, t.short_number))

    def view(self, number: str) -> TokenView:
        return token_view(self.day, self.token(number))

    def take_events(self) -> list[EventDraft]:
        """The events emitted since the last call, oldest first."""
        events = list(self.ws.changes.events)
        self.ws.changes.events.clear()
        return events

    def _fresh_name(self) -> str:
        return f"Patient {next(self._names)}"

    @staticmethod
    def _token(result: dict[str, Any]) -> TokenView:
        return TokenView.model_validate(result["token"])


def type_of(kind: type[EventBase]) -> str:
    """The routing key of an event class, e.g. ``token.promoted``."""
    return str(kind.model_fields["type"].default)


def event_types(events: list[EventDraft]) -> list[str]:
    return [type_of(event.kind) for event in events]


def events_of(events: list[EventDraft], kind: type[EventBase]) -> list[EventDraft]:
    return [event for event in events if event.kind is kind]


def statuses(clinic: Clinic) -> dict[str, TokenStatus]:
    return {token.short_number: token.status for token in clinic.day.tokens}
