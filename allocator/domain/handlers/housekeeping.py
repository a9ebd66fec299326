"""Housekeeping decided by the clock (ticks) or asked for (reallocate): no-shows, roll-overs, promotions, ETAs."""

from datetime import datetime

from allocator.domain.answers import ClockAnswer
from allocator.domain.context import CommandContext
from allocator.domain.day import Day
from allocator.domain.handlers.common import require_doctor
from allocator.domain.outcome import Outcome
from allocator.domain.settle import drift_notices, settle
from allocator.domain.views import token_view
from allocator.domain.workspace import Workspace
from shared.contracts.commands import Reallocate
from shared.contracts.events import TokenCancelled, TokenMoved, TokenNoShow, TokenPayload, TokenPromoted
from shared.contracts.reasons import Cause, ReasonCode
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
                day.move(token, open_slots[0].id)
                text = f"slot {slot.label()} ended; moved to the waitlist of {open_slots[0].label()}"
                cause = Cause(ReasonCode.SLOT_ENDED, text, {"slot": open_slots[0].label()})
                kind: type[TokenMoved | TokenCancelled] = TokenMoved
                moved.append(token.token_number)
            else:
                day.set_status(token, TokenStatus.CANCELLED)
                cause = Cause(ReasonCode.NO_SLOT_LEFT, f"no slot left on {day.date} with {day.doctor.name}")
                kind = TokenCancelled
                cancelled.append(token.token_number)
            token.status_reason = cause.text
            ws.touch_token(token, now)
            ws.emit(kind, day.doctor.id, TokenPayload.of(token_view(day, token), cause))
    return moved, cancelled


def expire_no_shows(ws: Workspace, day: Day, now: datetime) -> list[str]:
    """Confirmed patients who never checked in by their slot's end plus the grace are no-shows: seats freed."""
    expired = []
    for slot in day.slots:
        deadline = slot.ends_at + ws.policy.no_show_grace
        if now < deadline:
            continue
        for token in day.in_slot(slot, TokenStatus.CONFIRMED):
            if token.checked_in_at is None and token.called_at is None:
                day.set_status(token, TokenStatus.NO_SHOW)
                cause = Cause(
                    ReasonCode.NOT_CHECKED_IN, f"not checked in by {deadline:%H:%M}", {"at": deadline.isoformat()}
                )
                token.status_reason = cause.text
                token.estimated_time = None
                ws.touch_token(token, now)
                ws.emit(TokenNoShow, day.doctor.id, TokenPayload.of(token_view(day, token), cause))
                expired.append(token.token_number)
    return expired


def run_clock(ws: Workspace, day: Day, now: datetime, reason: str) -> ClockAnswer:
    """What time decides for a doctor's day: no-shows after the grace, waitlists rolled forward at slot end,
    reserves and quota holds released at slot start, promotions, slot status, ETAs. Repeating it is a no-op."""
    no_shows = expire_no_shows(ws, day, now)
    moved, cancelled = roll_over(ws, day, now)
    notices = settle(ws, day, now, Cause(ReasonCode.QUEUE_CHANGED, reason))
    drift = Cause(ReasonCode.QUEUE_CHANGED, "the queue moved since you were last told")
    notices += drift_notices(ws, day, now, drift, {n.payload.token.id for n in notices})
    for notice in notices:
        ws.emit(notice.kind, notice.doctor_id, notice.payload)
    promoted = [n.payload.token.token_number for n in notices if n.kind is TokenPromoted]
    return {
        "doctorId": str(day.doctor.id),
        "date": str(day.date),
        "promoted": promoted,
        "moved": moved,
        "cancelled": cancelled,
        "noShows": no_shows,
        "etaNotices": len(notices) - len(promoted),
        "changed": bool(promoted or moved or cancelled or no_shows),
    }


def reallocate(ws: Workspace, command: Reallocate, ctx: CommandContext) -> Outcome:
    """The clock's housekeeping, on demand; ``activeTokens``: how many tokens waited or held a seat before."""
    payload = command.payload
    doctor = require_doctor(ws, payload.doctor_id)
    day = ws.day(doctor, payload.date or ws.today(ctx.now))
    active = sum(1 for token in day.tokens if token.status.is_active)
    answer = run_clock(ws, day, ctx.now, reason="queue reallocated")
    answer["activeTokens"] = active
    return Outcome(answer)
