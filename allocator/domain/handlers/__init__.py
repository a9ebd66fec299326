"""The handler registry: one plain function per command type, and which of the doctor's days it touches."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from allocator.domain.context import CommandContext
from allocator.domain.handlers.day_flow import call_next, check_in, complete_token, delay_doctor, recall_token
from allocator.domain.handlers.doctors import create_doctor, update_doctor_slots
from allocator.domain.handlers.housekeeping import reallocate
from allocator.domain.handlers.schedule import mark_doctor_unavailable
from allocator.domain.handlers.tokens import add_emergency, book_token, cancel_token, mark_no_show
from allocator.domain.outcome import Outcome
from allocator.domain.workspace import Workspace
from shared.contracts.commands import (
    AddEmergency,
    BookToken,
    CallNext,
    CancelToken,
    CheckIn,
    CommandBase,
    CompleteToken,
    CreateDoctor,
    DelayDoctor,
    MarkDoctorUnavailable,
    MarkNoShow,
    Reallocate,
    RecallToken,
    UpdateDoctorSlots,
)

Handler = Callable[[Workspace, Any, CommandContext], Outcome]


class Days(Enum):
    """Which of the doctor's days a command reads or changes: the shell loads them before the handler runs."""

    NONE = "none"  # the doctor only (a new doctor)
    REQUESTED = "requested"  # ``payload.date``, else today
    GIVEN = "given"  # ``payload.date``
    BOOKED_FROM_TODAY = "booked from today"  # every day already materialized, from today on
    OF_THE_TOKEN = "of the token"  # the day of ``payload.tokenId``


@dataclass(frozen=True, slots=True)
class Registered:
    handle: Handler
    days: Days


HANDLERS: dict[type[CommandBase], Registered] = {
    CreateDoctor: Registered(create_doctor, Days.NONE),
    UpdateDoctorSlots: Registered(update_doctor_slots, Days.BOOKED_FROM_TODAY),
    MarkDoctorUnavailable: Registered(mark_doctor_unavailable, Days.GIVEN),
    BookToken: Registered(book_token, Days.REQUESTED),
    AddEmergency: Registered(add_emergency, Days.REQUESTED),
    CancelToken: Registered(cancel_token, Days.OF_THE_TOKEN),
    MarkNoShow: Registered(mark_no_show, Days.OF_THE_TOKEN),
    CheckIn: Registered(check_in, Days.OF_THE_TOKEN),
    CallNext: Registered(call_next, Days.REQUESTED),
    CompleteToken: Registered(complete_token, Days.OF_THE_TOKEN),
    RecallToken: Registered(recall_token, Days.OF_THE_TOKEN),
    DelayDoctor: Registered(delay_doctor, Days.REQUESTED),
    Reallocate: Registered(reallocate, Days.REQUESTED),
}


def handle(ws: Workspace, command: CommandBase, ctx: CommandContext) -> Outcome:
    """Run the command's handler; a Rejection (``NoSeat`` where colleagues are wanted) propagates before any state
    was changed."""
    return HANDLERS[type(command)].handle(ws, command, ctx)


def days_touched(command: CommandBase) -> Days:
    """Which of the doctor's days the command's handler needs loaded."""
    return HANDLERS[type(command)].days
