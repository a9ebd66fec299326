"""A small driver for the pure allocation domain: one doctor's workspace, commands in, views and events out."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import count
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from allocator.domain.context import CommandContext
from allocator.domain.day import Day
from allocator.domain.handlers import handle
from allocator.domain.handlers.doctors import create_doctor
from allocator.domain.handlers.housekeeping import run_clock
from allocator.domain.model import Slot, Token
from allocator.domain.outcome import Outcome
from allocator.domain.policy import Policy
from allocator.domain.views import token_view
from allocator.domain.workspace import EventDraft, Workspace
from shared.contracts.base import Contract
from shared.contracts.commands import (
    AddEmergency,
    AddEmergencyPayload,
    AnyCommand,
    BookToken,
    BookTokenPayload,
    CallNext,
    CallNextPayload,
    CancelToken,
    CancelTokenPayload,
    CheckIn,
    CompleteToken,
    CreateDoctor,
    CreateDoctorPayload,
    DelayDoctor,
    DelayDoctorPayload,
    MarkDoctorUnavailable,
    MarkDoctorUnavailablePayload,
    MarkNoShow,
    MarkNoShowPayload,
    Reallocate,
    ReallocatePayload,
    RecallToken,
    RecallTokenPayload,
    TokenActionPayload,
    UpdateDoctorSlots,
    UpdateDoctorSlotsPayload,
)
from shared.contracts.events import AnyEvent
from shared.contracts.values import SlotTemplate, TimeRange, TokenSource, TokenStatus, Weekday
from shared.contracts.views import TokenView
from shared.errors import ErrorCode, Rejection
from tests.support.commands import command

ZONE = ZoneInfo("Asia/Kolkata")
# Every patient comes: each one ahead counts a whole consultation in the ETAs, so their arithmetic reads plainly.
EVERYONE_COMES = Policy(zone=ZONE, show_chance=1.0)
MONDAY = date(2026, 1, 5)
SUNDAY = date(2026, 1, 11)


def at(hour: int, minute: int = 0, day: date = MONDAY) -> datetime:
    """An instant on the hospital's wall clock."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


def template(
    label: str, capacity: int, reserved: int = 1, quotas: dict[TokenSource, int] | None = None
) -> SlotTemplate:
    start, end = label.split("-")
    return SlotTemplate(
        start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end),
        max_capacity=capacity,
        reserved_emergency_slots=reserved,
        quotas=quotas or {},
    )


def time_range(label: str) -> TimeRange:
    start, end = label.split("-")
    return TimeRange(start_time=time.fromisoformat(start), end_time=time.fromisoformat(end))


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
    last: Mapping[str, Any] = field(default_factory=dict)
    outcome: Outcome | None = None
    _names: Iterator[int] = field(default_factory=lambda: count(1))

    @classmethod
    def open(
        cls,
        *templates: SlotTemplate,
        now: datetime | None = None,
        specialization: str = "ENT",
        working_days: tuple[Weekday, ...] | None = None,
        room: str | None = None,
        policy: Policy | None = None,
    ) -> "Clinic":
        now = now or at(8)
        ws = Workspace(policy or Policy(zone=ZONE), new_id=uuid4)
        doctor_id = _create_doctor(ws, "D1", "Dr. Test", specialization, templates, now, working_days, room)
        ws.changes.events.clear()
        return cls(ws=ws, doctor_id=doctor_id, now=now)

    def colleague(
        self,
        name: str,
        *templates: SlotTemplate,
        specialization: str = "ENT",
        working_days: tuple[Weekday, ...] | None = None,
    ) -> UUID:
        """Another doctor in the same workspace; returns the id (book for them with ``doctor_id=``)."""
        code = f"D{len(self.ws.doctors) + 1}"
        doctor_id = _create_doctor(self.ws, code, name, specialization, templates, self.now, working_days)
        self.ws.changes.events.clear()
        return doctor_id

    # -- commands ------------------------------------------------------------------------------------------

    def run(self, kind: type[AnyCommand], payload: Contract) -> Mapping[str, Any]:
        """Handle one command at ``now``; the reply body is also kept in ``last``, the whole answer in ``outcome``."""
        ctx = CommandContext(now=self.now, command_id=uuid4())
        self.outcome = handle(self.ws, command(kind, payload, self.now), ctx)
        self.last = self.outcome.body
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
            doctor_id=details.pop("doctor_id", self.doctor_id),
            patient_name=name or self._fresh_name(),
            patient_age=age,
            time_slot=time_range(slot) if slot else None,
            **details,
        )
        return self._token(self.run(AddEmergency, payload))

    def cancel(self, ref: str, reason: str | None = None) -> Mapping[str, Any]:
        return self.run(CancelToken, CancelTokenPayload(doctor_id=self.doctor_id, token_id=ref, reason=reason))

    def no_show(self, ref: str) -> Mapping[str, Any]:
        return self.run(MarkNoShow, MarkNoShowPayload(doctor_id=self.doctor_id, token_id=ref))

    def reallocate(self) -> Mapping[str, Any]:
        return self.run(Reallocate, ReallocatePayload(doctor_id=self.doctor_id))

    def unavailable(
        self, day: date = MONDAY, between: str | None = None, reason: str | None = None
    ) -> Mapping[str, Any]:
        """The doctor is away on ``day``: all day, or ``between`` ``"HH:MM-HH:MM"``."""
        span = time_range(between) if between else None
        payload = MarkDoctorUnavailablePayload(
            doctor_id=self.doctor_id,
            date=day,
            start_time=span.start_time if span else None,
            end_time=span.end_time if span else None,
            reason=reason,
        )
        return self.run(MarkDoctorUnavailable, payload)

    def update_slots(
        self, *templates: SlotTemplate, working_days: tuple[Weekday, ...] | None = None
    ) -> Mapping[str, Any]:
        payload = UpdateDoctorSlotsPayload(doctor_id=self.doctor_id, time_slots=templates, working_days=working_days)
        return self.run(UpdateDoctorSlots, payload)

    # -- the OPD day ---------------------------------------------------------------------------------------

    def check_in(self, number: str) -> Mapping[str, Any]:
        return self._on_token(CheckIn, number)

    def call_next(self, serving: str | None = None) -> Mapping[str, Any]:
        """The doctor's "next!": completes whoever is in consultation (``serving``, if the desk says whom it saw),
        calls the next patient."""
        return self.run(CallNext, CallNextPayload(doctor_id=self.doctor_id, serving=serving))

    def complete(self, number: str) -> Mapping[str, Any]:
        return self._on_token(CompleteToken, number)

    def recall(self, number: str) -> Mapping[str, Any]:
        ref = self.token(number).token_number
        return self.run(RecallToken, RecallTokenPayload(doctor_id=self.doctor_id, token_id=ref))

    def delay(self, minutes: int, reason: str | None = None) -> Mapping[str, Any]:
        return self.run(DelayDoctor, DelayDoctorPayload(doctor_id=self.doctor_id, minutes=minutes, reason=reason))

    def tick(self) -> Mapping[str, Any]:
        """The clock's turn on today's day at ``now`` (what the allocator runs on every tick)."""
        self.last = run_clock(self.ws, self.day, self.now, reason="the day moved on")
        return self.last

    def wait(self, minutes: float = 0, seconds: float = 0) -> datetime:
        """Let time pass on the controlled clock; returns the new ``now``."""
        self.now += timedelta(minutes=minutes, seconds=seconds)
        return self.now

    def _on_token(self, kind: type[AnyCommand], number: str) -> Mapping[str, Any]:
        """A command on one token, named by its short number (``T001``) or token number."""
        ref = self.token(number).token_number
        return self.run(kind, TokenActionPayload(doctor_id=self.doctor_id, token_id=ref))

    # -- state ---------------------------------------------------------------------------------------------

    @property
    def day(self) -> Day:
        return self.on(MONDAY)

    def on(self, day: date) -> Day:
        """The doctor's day (materialized, i.e. loaded in the workspace, on first use)."""
        return self.ws.day(self.ws.doctors[self.doctor_id], day)

    def slot(self, label: str) -> Slot:
        return next(slot for slot in self.day.slots if slot.label() == label)

    def token(self, number: str) -> Token:
        """A token by its token number or short number (``T001``, ``E01``)."""
        return next(t for t in self.day.tokens if number in (t.token_number, t.short_number))

    def view(self, number: str) -> TokenView:
        return token_view(self.day, self.token(number))

    def take_events(self) -> list[EventDraft[Any]]:
        """The events emitted since the last call, oldest first."""
        events = list(self.ws.changes.events)
        self.ws.changes.events.clear()
        return events

    def _fresh_name(self) -> str:
        return f"Patient {next(self._names)}"

    @staticmethod
    def _token(result: Mapping[str, Any]) -> TokenView:
        return TokenView.model_validate(result["token"])


def _create_doctor(
    ws: Workspace,
    code: str,
    name: str,
    specialization: str,
    templates: tuple[SlotTemplate, ...],
    now: datetime,
    working_days: tuple[Weekday, ...] | None = None,
    room: str | None = None,
) -> UUID:
    doctor_id = uuid4()
    payload = CreateDoctorPayload(
        doctor_id=doctor_id,
        name=name,
        specialization=specialization,
        room=room,
        time_slots=templates or (template("09:00-10:00", 4),),
        **({"working_days": working_days} if working_days else {}),
    )
    create_doctor(
        ws, command(CreateDoctor, payload, now), CommandContext(now=now, command_id=uuid4(), doctor_code=code)
    )
    return doctor_id


def type_of(kind: type[AnyEvent]) -> str:
    """The routing key of an event class, e.g. ``token.promoted``."""
    return str(kind.model_fields["type"].default)


def event_types(events: list[EventDraft[Any]]) -> list[str]:
    return [type_of(event.kind) for event in events]


def events_of(events: list[EventDraft[Any]], kind: type[AnyEvent]) -> list[EventDraft[Any]]:
    return [event for event in events if event.kind is kind]


def statuses(clinic: Clinic) -> dict[str, TokenStatus]:
    return {token.short_number: token.status for token in clinic.day.tokens}
