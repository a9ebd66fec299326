"""Booking, emergencies, cancellation and no-show: the seat rule of DESIGN §2."""

from datetime import date, datetime, timedelta
from uuid import UUID

from allocator.domain.answers import SeatSuggestions, TokenEnded, TokenIssued
from allocator.domain.context import CommandContext
from allocator.domain.day import Day
from allocator.domain.handlers.common import (
    check_bookable_date,
    has_seat,
    invalid_transition,
    next_possible_slot,
    refuse_duplicate,
    requested_slot,
    require_doctor,
    require_token,
    seat_suggestions,
)
from allocator.domain.model import Patient, Slot, Token
from allocator.domain.outcome import AlternativesWanted, NoSeat, Outcome
from allocator.domain.rules import patient_key, short_number, token_number
from allocator.domain.settle import settle
from allocator.domain.views import doctor_brief, token_view
from allocator.domain.workspace import TokenNotice, Workspace
from shared.contracts.commands import (
    AddEmergency,
    AddEmergencyPayload,
    BookToken,
    BookTokenPayload,
    CancelToken,
    MarkNoShow,
    PatientDetails,
)
from shared.contracts.events import (
    TokenCancelled,
    TokenConfirmed,
    TokenNoShow,
    TokenPayload,
    TokenWaitlisted,
)
from shared.contracts.reasons import Cause, ReasonCode
from shared.contracts.values import TimeRange, TokenSource, TokenStatus
from shared.errors import ErrorCode, Rejection


def _patient(details: PatientDetails) -> Patient:
    return Patient(
        name=details.patient_name.strip(),
        age=details.patient_age,
        patient_id=details.patient_id,
        phone=details.phone,
        email=details.email,
        language=details.language,
    )


def _issue(
    ws: Workspace,
    day: Day,
    slot: Slot,
    patient: Patient,
    source: TokenSource,
    status: TokenStatus,
    now: datetime,
    overflow: bool = False,
) -> Token:
    is_emergency = source is TokenSource.EMERGENCY
    short = short_number(is_emergency, day.next_ordinal(is_emergency))
    token = Token(
        id=ws.new_id(),
        token_number=token_number(day.doctor.code, day.date, short),
        short_number=short,
        doctor_id=day.doctor.id,
        slot_id=slot.id,
        date=day.date,
        patient=patient,
        patient_key=patient_key(patient),
        source=source,
        status=status,
        arrival=day.next_arrival(),
        created_at=now,
        updated_at=now,
        overflow=overflow,
    )
    ws.add_token(day, token)
    return token


def _open_day(ws: Workspace, doctor_id: UUID, day_date: date | None, now: datetime) -> Day:
    doctor = require_doctor(ws, doctor_id)
    day_date = day_date or ws.today(now)
    check_bookable_date(ws, doctor, day_date, now)
    return ws.day(doctor, day_date)


def _answer(
    ws: Workspace,
    day: Day,
    token: Token,
    notices: list[TokenNotice],
    alternatives: AlternativesWanted | None = None,
    suggestions: SeatSuggestions | None = None,
) -> Outcome:
    """Emit the patient's own event first, then the chain reaction; reply with the token and its doctor."""
    view = token_view(day, token)
    kind = {TokenStatus.CONFIRMED: TokenConfirmed, TokenStatus.PENDING: TokenWaitlisted}[token.status]
    ws.emit(kind, day.doctor.id, TokenPayload(token=view))
    for notice in notices:
        ws.emit(notice.kind, notice.doctor_id, notice.payload)
    answer: TokenIssued = {
        "token": view.model_dump(mode="json"),
        "doctor": doctor_brief(day.doctor).model_dump(mode="json"),
    }
    if suggestions is not None:
        answer["suggestions"] = suggestions
    return Outcome(answer, alternatives)


def book_token(ws: Workspace, command: BookToken, ctx: CommandContext) -> Outcome:
    payload = command.payload
    if payload.source is TokenSource.EMERGENCY:
        return _place_emergency(ws, payload, payload.time_slot, ctx)
    day = _open_day(ws, payload.doctor_id, payload.date, ctx.now)
    patient = _patient(payload)
    refuse_duplicate(day, patient_key(patient))
    source = payload.source
    if payload.time_slot is not None:
        slot = requested_slot(ws, day, payload.time_slot, ctx.now)
        seated = has_seat(ws, day, slot, source, ctx.now)
        elsewhere = [] if seated else seat_suggestions(ws, day, ctx.now, source, exclude=slot)
    else:
        open_slots = list(day.open_slots(ctx.now))
        if not open_slots:
            raise Rejection(
                ErrorCode.NO_OPEN_SLOT,
                f"no slot of {day.doctor.name} is still open on {day.date}",
                date=str(day.date),
                nextSlot=next_possible_slot(ws, day.doctor, day.date + timedelta(days=1), ctx.now),
            )
        with_seat = next((s for s in open_slots if has_seat(ws, day, s, source, ctx.now)), None)
        slot = with_seat or open_slots[0]
        seated = with_seat is not None
        elsewhere = []  # told only when seatless, and then no open slot has a seat
    suggestions: SeatSuggestions = {"slots": elsewhere}
    ask_colleagues = AlternativesWanted(day.doctor.id, day.date, source)
    if not seated and not payload.waitlist:
        raise NoSeat(
            ask_colleagues,
            ErrorCode.SLOT_FULL if payload.time_slot else ErrorCode.NO_CAPACITY,
            f"no seat left in {slot.label()} on {day.date}",
            timeSlot=slot.label(),
            suggestions=suggestions,
        )
    status = TokenStatus.CONFIRMED if seated else TokenStatus.PENDING
    token = _issue(ws, day, slot, patient, payload.source, status, ctx.now)
    added = Cause(ReasonCode.QUEUE_CHANGED, f"token {token.short_number} added")
    notices = settle(ws, day, ctx.now, added, told={token.id})
    if status is TokenStatus.PENDING:
        return _answer(ws, day, token, notices, ask_colleagues, suggestions=suggestions)
    return _answer(ws, day, token, notices)


def add_emergency(ws: Workspace, command: AddEmergency, ctx: CommandContext) -> Outcome:
    return _place_emergency(ws, command.payload, command.payload.time_slot, ctx)


def _place_emergency(
    ws: Workspace,
    payload: BookTokenPayload | AddEmergencyPayload,
    wanted: TimeRange | None,
    ctx: CommandContext,
) -> Outcome:
    """Current (or requested) slot, reserved seats first, then the +1 overflow, then later slots that day."""
    day = _open_day(ws, payload.doctor_id, payload.date, ctx.now)
    patient = _patient(payload)
    refuse_duplicate(day, patient_key(patient))
    candidates = list(day.open_slots(ctx.now))
    if wanted is not None:
        first = requested_slot(ws, day, wanted, ctx.now)
        candidates = candidates[candidates.index(first) :]
    for slot in candidates:
        if day.emergency_fits(slot):
            occupied = day.occupancy(slot)
            overflow = occupied.regular + occupied.emergency == slot.capacity
            token = _issue(ws, day, slot, patient, TokenSource.EMERGENCY, TokenStatus.CONFIRMED, ctx.now, overflow)
            added = Cause(ReasonCode.EMERGENCY_ADDED, "1 emergency patient added")
            notices = settle(ws, day, ctx.now, added, told={token.id})
            return _answer(ws, day, token, notices)
    raise NoSeat(
        AlternativesWanted(day.doctor.id, day.date, TokenSource.EMERGENCY),
        ErrorCode.NO_EMERGENCY_CAPACITY,
        f"no emergency seat left with {day.doctor.name} on {day.date}",
    )


def _end_token(
    ws: Workspace, day: Day, token: Token, status: TokenStatus, cause: Cause, ctx: CommandContext
) -> Outcome:
    was_confirmed = token.status is TokenStatus.CONFIRMED
    day.set_status(token, status)
    token.status_reason = cause.text
    token.estimated_time = None
    ws.touch_token(token, ctx.now)
    view = token_view(day, token)
    kind = TokenCancelled if status is TokenStatus.CANCELLED else TokenNoShow
    ws.emit(kind, day.doctor.id, TokenPayload.of(view, cause))
    verb = "cancelled" if status is TokenStatus.CANCELLED else "marked no-show"
    for notice in settle(ws, day, ctx.now, Cause(ReasonCode.SEAT_FREED, f"token {token.short_number} {verb}")):
        ws.emit(notice.kind, notice.doctor_id, notice.payload)
    ended: TokenEnded = {"token": view.model_dump(mode="json"), "seatFreed": was_confirmed}
    return Outcome(ended)


def cancel_token(ws: Workspace, command: CancelToken, ctx: CommandContext) -> Outcome:
    payload = command.payload
    day, token = require_token(ws, payload.doctor_id, payload.token_id)
    if not token.status.is_active:
        raise invalid_transition(token, f"a {token.status.value} token cannot be cancelled")
    cause = Cause(ReasonCode.CANCELLED_ON_REQUEST, payload.reason or "cancelled on request")
    return _end_token(ws, day, token, TokenStatus.CANCELLED, cause, ctx)


def mark_no_show(ws: Workspace, command: MarkNoShow, ctx: CommandContext) -> Outcome:
    payload = command.payload
    day, token = require_token(ws, payload.doctor_id, payload.token_id)
    if token.status is not TokenStatus.CONFIRMED:
        raise invalid_transition(token, f"only a confirmed token can be a no-show; this one is {token.status.value}")
    slot = day.slot(token.slot_id)
    if ctx.now < slot.starts_at:
        raise Rejection(
            ErrorCode.SLOT_NOT_STARTED,
            f"slot {slot.label()} has not started yet",
            tokenNumber=token.token_number,
            startsAt=slot.starts_at.isoformat(),
        )
    return _end_token(ws, day, token, TokenStatus.NO_SHOW, Cause(ReasonCode.NOT_ARRIVED, "did not arrive"), ctx)
