"""The handler registry: one plain function per command type, and the rule for which of the doctor's days it
touches."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Generic, TypeVar

from allocator.domain.context import CommandContext
from allocator.domain.days_needed import (
    DaysNeeded,
    booked_from_today,
    day_of_token,
    given_day,
    no_day,
    requested_day,
)
from allocator.domain.handlers.day_flow import call_next, check_in, complete_token, delay_doctor, recall_token
from allocator.domain.handlers.doctors import create_doctor, update_doctor_slots
from allocator.domain.handlers.housekeeping import reallocate
from allocator.domain.handlers.schedule import mark_doctor_unavailable
from allocator.domain.handlers.tokens import add_emergency, book_token, cancel_token, mark_no_show
from allocator.domain.outcome import Outcome
from allocator.domain.workspace import Workspace
from shared.contracts.commands import (
    AddEmergency,
    AnyCommand,
    BookToken,
    CallNext,
    CancelToken,
    CheckIn,
    CompleteToken,
    CreateDoctor,
    DelayDoctor,
    MarkDoctorUnavailable,
    MarkNoShow,
    Reallocate,
    RecallToken,
    UpdateDoctorSlots,
)

C = TypeVar("C", bound=AnyCommand)


@dataclass(frozen=True, slots=True)
class Registered(Generic[C]):
    """A command type's handler and its rule for the days it needs (each checked against the type's payload)."""

    handle: Callable[[Workspace, C, CommandContext], Outcome]
    days: Callable[[C, date], DaysNeeded]


def _entry(
    kind: type[C], handle: Callable[[Workspace, C, CommandContext], Outcome], days: Callable[[C, date], DaysNeeded]
) -> tuple[type[AnyCommand], Registered[Any]]:
    """A registry entry, its handler and its day rule checked against the command type."""
    return kind, Registered(handle, days)


HANDLERS: dict[type[AnyCommand], Registered[Any]] = dict(
    [
        _entry(CreateDoctor, create_doctor, no_day),
        _entry(UpdateDoctorSlots, update_doctor_slots, booked_from_today),
        _entry(MarkDoctorUnavailable, mark_doctor_unavailable, given_day),
        _entry(BookToken, book_token, requested_day),
        _entry(AddEmergency, add_emergency, requested_day),
        _entry(CancelToken, cancel_token, day_of_token),
        _entry(MarkNoShow, mark_no_show, day_of_token),
        _entry(CheckIn, check_in, day_of_token),
        _entry(CallNext, call_next, requested_day),
        _entry(CompleteToken, complete_token, day_of_token),
        _entry(RecallToken, recall_token, day_of_token),
        _entry(DelayDoctor, delay_doctor, requested_day),
        _entry(Reallocate, reallocate, requested_day),
    ]
)


def handle(ws: Workspace, command: AnyCommand, ctx: CommandContext) -> Outcome:
    """Run the command's handler; a Rejection (``NoSeat`` where colleagues are wanted) propagates before any state
    was changed."""
    return HANDLERS[type(command)].handle(ws, command, ctx)


def days_needed(command: AnyCommand, today: date) -> DaysNeeded:
    """Which of the doctor's days the command's handler needs loaded."""
    return HANDLERS[type(command)].days(command, today)
