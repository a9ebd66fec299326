"""Schedule changes on dated days: a doctor unavailable, weekly slots replaced. Displaced patients are re-seated."""

from collections import Counter
from datetime import datetime, time, timedelta

from allocator.domain.answers import UnavailableAnswer
from allocator.domain.context import CommandContext
from allocator.domain.day import Day
from allocator.domain.handlers.common import require_doctor
from allocator.domain.model import Slot, Token
from allocator.domain.outcome import AlternativesWanted, Outcome
from allocator.domain.reseat import Reseating, reseat
from allocator.domain.workspace import Workspace
from shared.contracts.commands import MarkDoctorUnavailable
from shared.contracts.reasons import Cause, ReasonCode
from shared.contracts.values import SlotStatus, TokenSource, TokenStatus
from shared.errors import ErrorCode, Rejection
from shared.seats import Ledger

SCHEDULE_CHANGED = "the doctor's schedule changed"


def _cancel(ws: Workspace, day: Day, slot: Slot, reason: str) -> list[Token]:
    """Cancel the slot; returns its active tokens, now displaced."""
    slot.status = SlotStatus.CANCELLED
    slot.status_reason = reason
    ws.touch_slot(slot)
    return day.active_in(slot)


def _over_capacity(ws: Workspace, day: Day, slot: Slot, now: datetime) -> list[Token]:
    """Confirmed tokens the slot's (new) seats can no longer hold, the last in consultation order.

    The kept ones form a state the seat rule could have reached had they booked again, regulars first and
    emergencies after them: regulars within the reserve, the quota holds and caps (as at ``now``), emergencies
    up to the single overflow seat. So a slot whose template did not change keeps everybody.
    """
    confirmed = day.in_slot(slot, TokenStatus.CONFIRMED)
    seen = Counter(t.source for t in day.in_slot(slot, TokenStatus.COMPLETED))  # their seats stay used
    room = slot.capacity + 1 - sum(seen.values())
    emergencies = [token for token in confirmed if token.is_emergency][: max(0, room)]
    started = now >= slot.starts_at
    regular = Ledger.of(slot.capacity, slot.reserved, slot.quotas, started, seen, ws.policy.release_reserve_at_start)
    displaced = []
    for token in confirmed:
        if token.is_emergency:
            if token not in emergencies:
                displaced.append(token)
        elif regular.fits(token.source) and regular.occupied + len(emergencies) <= slot.capacity:
            regular.take(token.source)
        else:
            displaced.append(token)
    return displaced


def apply_templates(ws: Workspace, day: Day, now: datetime) -> Reseating:
    """Make a materialized day follow the doctor's current weekly templates (slots that have not ended)."""
    doctor = day.doctor
    wanted = {t.start_time: t for t in doctor.templates} if doctor.works_on(day.date) else {}
    displaced: list[Token] = []
    for slot in day.slots:
        if now >= slot.ends_at:
            continue
        template = wanted.get(slot.start_time)
        if slot.status is SlotStatus.CANCELLED:
            if template is None or slot.status_reason != SCHEDULE_CHANGED:
                continue  # cancelled because the doctor is away: stays cancelled
            slot.status = SlotStatus.AVAILABLE  # removed from the schedule earlier, back in it now
            slot.status_reason = None
        if template is None:
            displaced += _cancel(ws, day, slot, SCHEDULE_CHANGED)
            continue
        slot.end_time = template.end_time
        slot.ends_at = ws.at(day.date, template.end_time)
        slot.capacity = template.max_capacity
        slot.reserved = template.reserved_emergency_slots
        slot.quotas = dict(template.quotas)
        ws.touch_slot(slot)
        displaced += _over_capacity(ws, day, slot, now)
    known = {slot.start_time for slot in day.slots}
    day.slots.extend(ws.new_slot(doctor, day.date, t) for start, t in wanted.items() if start not in known)
    day.slots.sort(key=lambda slot: slot.start_time)
    return reseat(ws, day, displaced, now, Cause(ReasonCode.SCHEDULE_CHANGED, SCHEDULE_CHANGED))


def mark_doctor_unavailable(ws: Workspace, command: MarkDoctorUnavailable, ctx: CommandContext) -> Outcome:
    payload = command.payload
    doctor = require_doctor(ws, payload.doctor_id)
    today = ws.today(ctx.now)
    last = today + timedelta(days=ws.policy.booking_horizon_days)
    if not today <= payload.date <= last:
        raise Rejection(
            ErrorCode.DATE_OUT_OF_RANGE,
            f"unavailability is recorded from {today} to {last}, the days bookings are taken for",
            date=str(payload.date),
            firstDate=str(today),
            lastDate=str(last),
        )
    if not doctor.works_on(payload.date):
        raise Rejection(
            ErrorCode.NOT_WORKING_DAY,
            f"{doctor.name} does not work on {payload.date:%A}s",
            date=str(payload.date),
            workingDays=[weekday.value for weekday in doctor.working_days],
        )
    day = ws.day(doctor, payload.date)
    start = ws.at(day.date, payload.start_time or time.min)
    end = ws.at(day.date, payload.end_time) if payload.end_time else ws.at(day.date, time.max)
    reason = payload.reason or f"{doctor.name} is unavailable"
    in_range = [slot for slot in day.slots if ctx.now < slot.ends_at and slot.starts_at < end and slot.ends_at > start]
    affected = [slot for slot in in_range if slot.status is not SlotStatus.CANCELLED]
    restamped = [slot for slot in in_range if slot.status_reason == SCHEDULE_CHANGED]
    for slot in restamped:  # already off the schedule: the absence keeps it cancelled if the slot is restored
        slot.status_reason = reason
        ws.touch_slot(slot)
    displaced = [token for slot in affected for token in _cancel(ws, day, slot, reason)]
    reseated = reseat(ws, day, displaced, ctx.now, Cause(ReasonCode.DOCTOR_UNAVAILABLE, reason))
    reseated_numbers = reseated.summary()
    body: UnavailableAnswer = {
        "doctorId": str(doctor.id),
        "date": str(day.date),
        "cancelledSlots": [slot.label() for slot in affected],
        "moved": reseated_numbers["moved"],
        "waitlisted": reseated_numbers["waitlisted"],
        "cancelled": reseated_numbers["cancelled"],
        "changed": bool(affected or restamped),
    }
    if not (reseated.waitlisted or reseated.cancelled):
        return Outcome(body)
    # whoever lost a seat is offered colleagues with a seat a new walk-in would get
    return Outcome(body, AlternativesWanted(doctor.id, day.date, TokenSource.WALKIN))
