"""The OPD day as it happens: arrivals, calling the next patient, consultations, recalls, a late doctor."""

from datetime import datetime, timedelta
from typing import Any

from allocator.domain.answers import CallAnswer, DelayAnswer, JsonObject, TokenStep
from allocator.domain.context import CommandContext
from allocator.domain.day import Day
from allocator.domain.handlers.common import invalid_transition, refuse_duplicate, require_doctor, require_token
from allocator.domain.model import Token
from allocator.domain.outcome import Outcome
from allocator.domain.settle import settle, worth_telling
from allocator.domain.views import token_view
from allocator.domain.workspace import Workspace
from shared.contracts.commands import CallNext, CheckIn, CompleteToken, DelayDoctor, RecallToken
from shared.contracts.events import (
    EventBase,
    TokenCalled,
    TokenCheckedIn,
    TokenCompleted,
    TokenConfirmed,
    TokenDoctorDelayed,
    TokenNoShow,
    TokenPayload,
    TokenRecalled,
    TokenUpNext,
    TokenWaitlisted,
)
from shared.contracts.reasons import Cause, ReasonCode
from shared.contracts.values import TokenStatus
from shared.errors import ErrorCode, Rejection

MIN_MEASURED_MINUTES = 0.5
MAX_MEASURED_MINUTES = 120.0


def _tell(
    ws: Workspace, day: Day, kind: type[EventBase[TokenPayload]], token: Token, cause: Cause | None = None
) -> JsonObject:
    view = token_view(day, token)
    ws.emit(kind, day.doctor.id, TokenPayload.of(view, cause))
    return view.model_dump(mode="json")


def _queue_changed(text: str) -> Cause:
    return Cause(ReasonCode.QUEUE_CHANGED, text)


def _settle_and_tell(ws: Workspace, day: Day, now: datetime, cause: Cause, told: set[Any]) -> None:
    for notice in settle(ws, day, now, cause, told=told):
        ws.emit(notice.kind, notice.doctor_id, notice.payload)


def _learn_pace(ws: Workspace, day: Day, token: Token, now: datetime) -> None:
    """Fold a measured consultation (call → complete) into the doctor's moving average, which starts from the
    slot's planned pace: one consultation, long or short, moves it a little, not all the way."""
    if token.called_at is None:
        return
    minutes = (now - token.called_at).total_seconds() / 60
    if not MIN_MEASURED_MINUTES <= minutes <= MAX_MEASURED_MINUTES:
        return  # a forgotten "complete" or a double click says nothing about the doctor's pace
    weight = ws.policy.consult_smoothing
    previous = day.consult_minutes(day.slot(token.slot_id))
    day.doctor.consult_minutes = (1 - weight) * previous + weight * minutes
    ws.touch_doctor(day.doctor)


def _complete(ws: Workspace, day: Day, token: Token, now: datetime) -> JsonObject:
    _learn_pace(ws, day, token, now)
    day.set_status(token, TokenStatus.COMPLETED)
    token.completed_at = now
    token.estimated_time = None
    ws.touch_token(token, now)
    return _tell(ws, day, TokenCompleted, token)


def call_next(ws: Workspace, command: CallNext, ctx: CommandContext) -> Outcome:
    """Complete whoever is in consultation, call the next patient ("please proceed"), warn the one after."""
    payload = command.payload
    doctor = require_doctor(ws, payload.doctor_id)
    day = ws.day(doctor, payload.date or ws.today(ctx.now))
    current = day.serving()
    if payload.serving is not None:
        _check_serving(current, payload.serving)
    completed = _complete(ws, day, current, ctx.now) if current else None
    queue = day.call_order(ctx.now)
    if queue:
        day.call(queue[0], ctx.now)
        ws.touch_token(queue[0], ctx.now)
    told = {t.id for t in [*queue[:2], *([current] if current else [])]}
    notices = settle(ws, day, ctx.now, Cause(ReasonCode.QUEUE_CHANGED, "the queue moved"), told=told)
    room = f" to room {doctor.room}" if doctor.room else ""
    called = _tell(ws, day, TokenCalled, queue[0], Cause(None, f"please proceed{room} now")) if queue else None
    up_next = _tell(ws, day, TokenUpNext, queue[1], Cause(None, "you are next")) if len(queue) > 1 else None
    for notice in notices:
        ws.emit(notice.kind, notice.doctor_id, notice.payload)
    called_in: CallAnswer = {
        "completed": completed,
        "nowServing": called,
        "upNext": up_next,
        "waiting": max(0, len(queue) - 1),
    }
    return Outcome(called_in)


def _check_serving(current: Token | None, seen: str) -> None:
    """Refuse a call made on a stale view: the desk saw ``seen`` (id, token number or short number) in
    consultation, and it is no longer so."""
    wanted = seen.strip().lower()
    if current is not None and wanted in (str(current.id), current.token_number.lower(), current.short_number.lower()):
        return
    now_seeing = current.short_number if current else None
    who = f"token {now_seeing}" if now_seeing else "nobody"
    raise Rejection(
        ErrorCode.SERVING_CHANGED,
        f"{who} is in consultation now, not {seen}: refresh and call again",
        serving=now_seeing,
    )


def complete_token(ws: Workspace, command: CompleteToken, ctx: CommandContext) -> Outcome:
    payload = command.payload
    day, token = require_token(ws, payload.doctor_id, payload.token_id)
    if token.status is not TokenStatus.CONFIRMED:
        raise invalid_transition(token, f"only a confirmed token can be completed; this one is {token.status.value}")
    view = _complete(ws, day, token, ctx.now)
    _settle_and_tell(ws, day, ctx.now, _queue_changed(f"token {token.short_number} seen"), {token.id})
    return Outcome(TokenStep(token=view))


def check_in(ws: Workspace, command: CheckIn, ctx: CommandContext) -> Outcome:
    """The patient is here: the ETAs are walked again (a patient here takes a whole consultation, and in a slot
    that has started goes before those not here yet). A no-show arriving late the same day is re-queued at the end
    of their class."""
    payload = command.payload
    day, token = require_token(ws, payload.doctor_id, payload.token_id)
    if token.status is TokenStatus.NO_SHOW:
        return _late_arrival(ws, day, token, ctx.now)
    if not token.status.is_active:
        raise invalid_transition(token, f"a {token.status.value} token cannot check in")
    if token.checked_in_at is None:
        token.checked_in_at = ctx.now
        ws.touch_token(token, ctx.now)
        _settle_and_tell(ws, day, ctx.now, _queue_changed(f"token {token.short_number} checked in"), {token.id})
        return Outcome(TokenStep(token=_tell(ws, day, TokenCheckedIn, token)))
    return Outcome(TokenStep(token=token_view(day, token).model_dump(mode="json")))


def _late_arrival(ws: Workspace, day: Day, token: Token, now: datetime) -> Outcome:
    if day.date != ws.today(now):
        raise Rejection(ErrorCode.INVALID_TRANSITION, "a late arrival is re-queued on the same day only")
    refuse_duplicate(day, token.patient_key)
    open_slots = list(day.open_slots(now))
    if not open_slots:
        raise Rejection(ErrorCode.NO_OPEN_SLOT, f"no slot of {day.doctor.name} is still open today")
    own = day.slot(token.slot_id)
    target = own if own in open_slots else open_slots[0]
    release = ws.policy.release_reserve_at_start
    seated = day.seat_for_newcomer(target, token.source, now, release)
    day.move(token, target.id, TokenStatus.CONFIRMED if seated else TokenStatus.PENDING)
    token.checked_in_at = now
    token.called_at = None
    day.requeue(token, (int(token.priority), float(day.next_arrival())))  # the end of the priority class
    token.status_reason = "arrived late"
    ws.touch_token(token, now)
    _settle_and_tell(ws, day, now, _queue_changed(f"token {token.short_number} arrived late"), {token.id})
    kind = TokenConfirmed if token.status is TokenStatus.CONFIRMED else TokenWaitlisted
    late = Cause(ReasonCode.ARRIVED_LATE, "arrived late: back in the queue")
    return Outcome(TokenStep(token=_tell(ws, day, kind, token, late), lateArrival=True))


def recall_token(ws: Workspace, command: RecallToken, ctx: CommandContext) -> Outcome:
    """Called but not here: back after the next N patients; the second time, a no-show.

    Before the call, a confirmed patient running late goes back the same way, once: it counts as their recall.
    """
    payload = command.payload
    day, token = require_token(ws, payload.doctor_id, payload.token_id)
    if not token.in_consultation:
        return _running_late(ws, day, token, ctx.now)
    token.recalls += 1
    token.called_at = None
    ws.touch_token(token, ctx.now)
    if token.recalls >= 2:
        day.set_status(token, TokenStatus.NO_SHOW)
        twice = Cause(ReasonCode.CALLED_TWICE, "called twice, did not come")
        token.status_reason = twice.text
        token.estimated_time = None
        view = _tell(ws, day, TokenNoShow, token, twice)
        freed = Cause(ReasonCode.SEAT_FREED, f"token {token.short_number} marked no-show")
        _settle_and_tell(ws, day, ctx.now, freed, {token.id})
        return Outcome(TokenStep(token=view, noShow=True))
    after = _move_back(ws, day, token, ctx.now)
    _settle_and_tell(ws, day, ctx.now, _queue_changed(f"token {token.short_number} recalled"), {token.id})
    text = f"called but not found: back in the queue after {len(after)} patient(s)"
    recalled = Cause(ReasonCode.RECALLED, text, {"patients": len(after)})
    return Outcome(TokenStep(token=_tell(ws, day, TokenRecalled, token, recalled), noShow=False))


def _move_back(ws: Workspace, day: Day, token: Token, now: datetime) -> list[Token]:
    """Requeue the token after the next N patients of its slot; those patients."""
    # "The next N" are those the doctor will call next (checked-in patients first), not the next N by arrival.
    behind = [t for t in day.call_order(now) if t.id != token.id and t.slot_id == token.slot_id]
    after = behind[: ws.policy.recall_after_patients]
    if after:
        anchor = max(t.order_key for t in after)
        following = min((t.order_key for t in behind if t.order_key > anchor), default=None)
        if following is not None and following[0] == anchor[0]:
            day.requeue(token, (anchor[0], (anchor[1] + following[1]) / 2))
        else:
            day.requeue(token, (anchor[0], anchor[1] + 0.5))
    return after


def _running_late(ws: Workspace, day: Day, token: Token, now: datetime) -> Outcome:
    """A confirmed patient not yet called says they will be late: back after the next N, once. Their new time
    reaches them as any move does (the settling tells them when it moved enough)."""
    if token.status is not TokenStatus.CONFIRMED:
        raise invalid_transition(token, f"only a confirmed token can be moved back; this one is {token.status.value}")
    if token.recalls:
        raise invalid_transition(token, "this token was already moved back once")
    token.recalls += 1
    ws.touch_token(token, now)
    after = _move_back(ws, day, token, now)
    _settle_and_tell(ws, day, now, _queue_changed(f"token {token.short_number} running late"), set())
    view = token_view(day, token).model_dump(mode="json")
    return Outcome(TokenStep(token=view, noShow=False, movedBehind=len(after)))


def delay_doctor(ws: Workspace, command: DelayDoctor, ctx: CommandContext) -> Outcome:
    """The doctor runs ``minutes`` late (before the day starts) or pauses for ``minutes`` from now: nobody is
    seen before the doctor resumes. Each waiting patient whose time really moved from what they were told is told
    their own new time; the others (later in the day, where the slot's start still holds) hear nothing."""
    payload = command.payload
    doctor = require_doctor(ws, payload.doctor_id)
    day = ws.day(doctor, payload.date or ws.today(ctx.now))
    first_start = min((slot.starts_at for slot in day.open_slots(ctx.now)), default=ctx.now)
    day.delay_minutes = payload.minutes
    day.delay_reason = payload.reason
    day.resume_at = max(first_start, ctx.now) + timedelta(minutes=payload.minutes)
    ws.touch_day(day)
    text = f"{doctor.name} is running {payload.minutes} minutes late" + (
        f": {payload.reason}" if payload.reason else ""
    )
    late = Cause(ReasonCode.DOCTOR_LATE, text, {"minutes": payload.minutes})
    waiting = day.waiting()
    _settle_and_tell(ws, day, ctx.now, late, {t.id for t in waiting})
    moved = [t for t in waiting if worth_telling(ws, ctx.now, t.estimated_time, t.announced_eta)]
    for token in moved:
        notice = TokenPayload.of(token_view(day, token), late, previous_estimated_time=token.announced_eta)
        ws.emit(TokenDoctorDelayed, day.doctor.id, notice)
    delayed: DelayAnswer = {
        "doctorId": str(doctor.id),
        "date": str(day.date),
        "delayMinutes": payload.minutes,
        "told": len(moved),
    }
    return Outcome(delayed)
