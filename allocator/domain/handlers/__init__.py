"""The handler registry: one plain function per command type."""

from collections.abc import Callable
from typing import Any

from allocator.domain.context import CommandContext
from allocator.domain.handlers.day_flow import call_next, check_in, complete_token, delay_doctor, recall_token
from allocator.domain.handlers.doctors import create_doctor, update_doctor_slots
from allocator.domain.handlers.housekeeping import reallocate
from allocator.domain.handlers.schedule import mark_doctor_unavailable
from allocator.domain.handlers.tokens import add_emergency, book_token, cancel_token, mark_no_show
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

Handler = Callable[[Workspace, Any, CommandContext], dict[str, Any]]

HANDLERS: dict[type[CommandBase], Handler] = {
    CreateDoctor: create_doctor,
    UpdateDoctorSlots: update_doctor_slots,
    MarkDoctorUnavailable: mark_doctor_unavailable,
    BookToken: book_token,
    AddEmergency: add_emergency,
    CancelToken: cancel_token,
    MarkNoShow: mark_no_show,
    CheckIn: check_in,
    CallNext: call_next,
    CompleteToken: complete_token,
    RecallToken: recall_token,
    DelayDoctor: delay_doctor,
    Reallocate: reallocate,
}


def handle(ws: Workspace, command: CommandBase, ctx: CommandContext) -> dict[str, Any]:
    """Run the command's handler; a Rejection propagates before any state was changed."""
    return HANDLERS[type(command)](ws, command, ctx)
