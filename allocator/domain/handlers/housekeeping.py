"""Reallocation on demand: roll ended slots' waitlists forward, release reserves, promote, refresh ETAs."""

from datetime import datetime
from typing import Any

from allocator.domain.context import CommandContext
from allocator.domain.day import Day
from allocator.domain.handlers.common import require_doctor
from allocator.domain.settle import refresh_slot_status, settle
from allocator.domain.views import token_view
from allocator.domain.workspace import Workspace
from shared.contracts.commands import Reallocate
from shared.contracts.events import TokenCancelled, TokenMoved, TokenPayload, TokenPromoted
from shared.contracts.values import TokenStatus


def roll_over(ws: Workspace, day: Day, now: datetime) -> tuple[list[str], list[str]]:
    """Move the waitlists of ended slots into the next open slot, keeping (priority, arrival) order.

    With no slot left that day, the waiting token is cancelled with the reason. Returns (moved, cancelled).
    """
    moved: list[str] = []
    cancelled: list[str] = []
    open_slots = list(day.open_slots(now))
    for slot in day.slots:
        if now < slot.ends_at:
            continue
        for token in day.in_slot(slot, TokenStatus.PENDING):
            if open_slots:
                token.slot_id = open_slots[0].id
                reason = f"slot {slot.label()} ended; moved to the waitlist of {open_slots[0].label()}"
                kind: type[TokenMoved | TokenCancelled] = TokenMoved
                moved.append(token.token_number)
            else:
                token.status = TokenStatus.CANCELLED
                reason = f"no slot left on {day.date} with {day.doctor.name}"
                kind = TokenCancelled
                cancelled.append(token.token_number)
            token.status_reason = reason
            ws.touch_token(token, now)
            ws.emit(kind, day.doctor.id, TokenPayload(token=token_view(day, token), reason=reason))
    return moved, cancelled


def reallocate(ws: Workspace, command: Reallocate, ctx: CommandContext) -> dict[str, Any]:
    payload = command.payload
    doctor = require_doctor(ws, payload.doctor_id)
    day = ws.day(doctor, payload.date or ws.today(ctx.now))
    moved, cancelled = roll_over(ws, day, ctx.now)
    refresh_slot_status(ws, day, ctx.now)
    notices = settle(ws, day, ctx.now, reason="queue reallocated")
    for notice in notices:
        ws.emit(notice.kind, notice.doctor_id, notice.payload)
    promoted = [n.payload.token.token_number for n in notices if n.kind is TokenPromoted]
    return {
        "doctorId": str(doctor.id),
        "date": str(day.date),
        "promoted": promoted,
        "moved": moved,
        "cancelled": cancelled,
        "etaNotices": len(notices) - len(promoted),
        "changed": bool(promoted or moved or cancelled),
    }
