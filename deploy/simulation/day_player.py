"""Plays a day's script through the allocator's pure domain on a virtual clock.

The same handlers the allocator runs (``allocator.domain``), the commands at the script's instants: bookings
(another slot of the doctor when the one asked for is full, else the waitlist), walk-ins and emergencies at the
desk (an emergency goes to a colleague of the same specialization when the doctor has no emergency seat left),
check-ins, cancellations, the desk's no-show round, doctors calling the next checked-in patient as soon as they
are free, the clock's housekeeping every few minutes. Pure: no I/O and no wall clock, so the same script and
policy always give the same record.
"""

import heapq
import itertools
from collections.abc import Callable
from datetime import datetime, time, timedelta
from enum import IntEnum
from typing import Any
from uuid import UUID

from allocator.domain.context import CommandContext
from allocator.domain.day import SEATED, Day
from allocator.domain.handlers import handle
from allocator.domain.handlers.housekeeping import run_clock
from allocator.domain.model import Token
from allocator.domain.policy import Policy
from allocator.domain.workspace import Changes, Workspace
from deploy.simulation.day_model import NO_SHOW_ROUND, DayScript, PatientPlan
from deploy.simulation.policies import PlayPolicy
from deploy.simulation.record import DayRecord, DoctorSheet, SlotSheet, TokenEvent, TokenFact
from notifier.templates import MESSAGES
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
    MarkNoShow,
    MarkNoShowPayload,
    TokenActionPayload,
)
from shared.contracts.events import TokenPayload
from shared.contracts.values import TimeRange, TokenSource, TokenStatus, Weekday
from shared.errors import ErrorCode, Rejection

TICK = timedelta(minutes=5)  # the allocator's clock, in virtual time
DELAY_NOTICE = timedelta(minutes=15)  # a late doctor lets the desk know this long before the first slot
DAY_OPENS = timedelta(hours=7)
COME_BACK = timedelta(minutes=45)  # a walk-in whose slot starts later than this goes away and comes back
COME_BACK_EARLY = timedelta(minutes=15)  # ... this long before the slot starts
AFTER_LAST_SLOT = timedelta(minutes=30)  # the clock's no-show grace (15 min) and a tick to spare


class Due(IntEnum):
    """What can happen at an instant, in the order things happening at the same instant are played."""

    FINISH = 0  # a consultation ends
    TICK = 1
    ROUND = 2  # the desk's no-show round for one slot
    DELAY = 3  # a doctor lets the desk know they will be late
    START = 4  # a doctor is ready for the first patient
    BOOK = 5  # a booking, or a walk-in or emergency at the desk
    ARRIVE = 6
    CANCEL = 7


class _Player:
    def __init__(self, script: DayScript, policy: PlayPolicy) -> None:
        self.script = script
        self.policy = policy
        self.ids = itertools.count(1)
        self.ws = Workspace(Policy(zone=script.config.zone), new_id=self._new_id)
        self.doctor_ids = [self._new_id() for _ in script.doctors]
        self.days: dict[int, Day] = {}
        self.codes = {doctor_id: plan.code for doctor_id, plan in zip(self.doctor_ids, script.doctors, strict=True)}
        self.queue: list[tuple[datetime, int, int, int]] = []  # (at, Due, sequence, doctor or patient)
        self.sequence = itertools.count()
        self.tokens: dict[int, tuple[int, str]] = {}  # patient -> (doctor, token number)
        self.patient_of: dict[str, int] = {}
        self.serving: dict[int, int] = {}  # doctor -> patient in consultation
        self.ready: dict[int, datetime] = {}  # doctor -> first instant they see patients
        self.events: list[TokenEvent] = []
        self.messages = 0
        self.turned_away = 0

    def _new_id(self) -> UUID:
        return UUID(int=next(self.ids))

    # -- running commands ----------------------------------------------------------------------------------

    def run(self, kind: type[AnyCommand], payload: Contract, now: datetime, code: str | None = None) -> dict[str, Any]:
        command = kind(command_id=self._new_id(), issued_at=now, source="simulation", payload=payload)
        try:
            ctx = CommandContext(now=now, command_id=command.command_id, doctor_code=code)
            return dict(handle(self.ws, command, ctx).body)
        finally:
            self._collect(now)

    def _collect(self, now: datetime) -> None:
        """Keep the token events of the last command (what the allocator would publish), then forget its changes."""
        for draft in self.ws.changes.events:
            if isinstance(draft.payload, TokenPayload):
                token = draft.payload.token
                kind = str(draft.kind.model_fields["type"].default)
                code = self.codes[draft.doctor_id]
                slot = token.time_slot.label()
                messaged = kind in MESSAGES  # the notifier has a message for it
                number, status = token.token_number, token.status.value
                self.events.append(TokenEvent(now, code, kind, number, status, slot, token.estimated_time, messaged))
                self.messages += messaged
        self.ws.changes = Changes()

    def at(self, when: datetime, due: Due, subject: int) -> None:
        heapq.heappush(self.queue, (when, due, next(self.sequence), subject))

    # -- the day -------------------------------------------------------------------------------------------

    def play(self) -> DayRecord:
        """Everything due, in time order. Each step returns the doctor whose queue may have moved (who, if free,
        calls the next patient), or None."""
        self._open()
        handlers: dict[Due, Callable[[int, datetime], int | None]] = {
            Due.FINISH: self._finish,
            Due.TICK: self._tick,
            Due.ROUND: self._round,
            Due.DELAY: self._delay,
            Due.START: lambda doctor, now: doctor,
            Due.BOOK: self._book,
            Due.ARRIVE: self._arrive,
            Due.CANCEL: self._cancel,
        }
        while self.queue:
            now, due, _, subject = heapq.heappop(self.queue)
            doctor = handlers[Due(due)](subject, now)
            if doctor is not None and doctor not in self.serving:
                self._call(doctor, now)
        return self._record()

    def _open(self) -> None:
        script = self.script
        opens = script.at(time.min) + DAY_OPENS
        created = min([opens, *(patient.booked_at for patient in script.patients[:1])])  # before any booking
        for index, plan in enumerate(script.doctors):
            templates = tuple(self.policy.template(start, end, plan.capacity) for start, end in plan.slots)
            payload = CreateDoctorPayload(
                doctor_id=self.doctor_ids[index],
                name=plan.name,
                specialization=plan.specialization,
                room=plan.room,
                time_slots=templates,
                working_days=tuple(Weekday),
            )
            self.run(CreateDoctor, payload, created, plan.code)
            first = script.slot_start(plan, 0)
            self.ready[index] = first + timedelta(minutes=plan.late_minutes)
            self.at(self.ready[index], Due.START, index)
            if plan.late_minutes:
                self.at(first - DELAY_NOTICE, Due.DELAY, index)
            for slot in range(len(plan.slots)):
                self.at(script.slot_start(plan, slot) + NO_SHOW_ROUND, Due.ROUND, index)
            tick, closes = opens, script.at(plan.slots[-1][1]) + AFTER_LAST_SLOT
            while tick <= closes:
                self.at(tick, Due.TICK, index)
                tick += TICK
        for number, patient in enumerate(script.patients):
            self.at(patient.booked_at, Due.BOOK, number)
            if patient.cancels_at is not None:
                self.at(patient.cancels_at, Due.CANCEL, number)

    def day(self, doctor: int) -> Day:
        found = self.days.get(doctor)
        if found is None:
            found = self.ws.day(self.ws.doctors[self.doctor_ids[doctor]], self.script.config.day)
            self.days[doctor] = found
        return found

    def token(self, patient: int) -> Token | None:
        held = self.tokens.get(patient)
        if held is None:
            return None
        found = self.ws.find_token(self.doctor_ids[held[0]], held[1])
        return found[1] if found else None

    # -- what happens --------------------------------------------------------------------------------------

    def _tick(self, doctor: int, now: datetime) -> int:
        try:
            run_clock(self.ws, self.day(doctor), now, reason="the day moved on")
        finally:
            self._collect(now)
        return doctor

    def _delay(self, doctor: int, now: datetime) -> int:
        minutes = self.script.doctors[doctor].late_minutes
        payload = DelayDoctorPayload(doctor_id=self.doctor_ids[doctor], minutes=minutes, reason="held up in the ward")
        self.run(DelayDoctor, payload, now)
        return doctor

    def _round(self, doctor: int, now: datetime) -> int:
        """Confirmed patients of the slot that started a while ago who have not checked in are no-shows."""
        day = self.day(doctor)
        slot = next(slot for slot in day.slots if slot.starts_at + NO_SHOW_ROUND == now)
        for token in day.in_slot(slot, TokenStatus.CONFIRMED):
            if token.checked_in_at is None and token.called_at is None:
                payload = MarkNoShowPayload(doctor_id=self.doctor_ids[doctor], token_id=token.token_number)
                self.run(MarkNoShow, payload, now)
        return doctor

    def _book(self, number: int, now: datetime) -> int | None:
        patient = self.script.patients[number]
        try:
            if patient.source is TokenSource.EMERGENCY:
                doctor, token = self._emergency(patient, now)
            else:
                doctor, token = patient.doctor, self._booking(patient, now)
        except Rejection:
            self.turned_away += 1
            return None
        self.tokens[number] = (doctor, token["tokenNumber"])
        self.patient_of[token["tokenNumber"]] = number
        arrival = self._arrival(patient, token, now)
        if arrival is not None:
            self.at(arrival, Due.ARRIVE, number)
        return doctor

    def _arrival(self, patient: PatientPlan, token: dict[str, Any], now: datetime) -> datetime | None:
        """When the patient checks in: a booked patient as planned, relative to the slot they got; a walk-in
        at once, unless the seat they got is in a slot that starts much later (then they come back for it)."""
        start = self.script.at(TimeRange.model_validate(token["timeSlot"]).start_time)
        if not patient.walks_in:
            if patient.arrives_at is None or patient.slot is None:
                return None
            planned = self.script.slot_start(self.script.doctors[patient.doctor], patient.slot)
            return patient.arrives_at + (start - planned)
        if token["status"] == "confirmed" and start - now > COME_BACK:
            return start - COME_BACK_EARLY
        return now

    def _booking(self, patient: PatientPlan, now: datetime) -> dict[str, Any]:
        """A walk-in takes the earliest slot with a seat; a booked patient the slot asked for, else another slot
        of the doctor with a seat, else the waitlist of the one asked for (when waitlists are kept)."""
        plan = self.script.doctors[patient.doctor]

        def book(slot: TimeRange | None, waitlist: bool) -> dict[str, Any]:
            payload = BookTokenPayload(
                doctor_id=self.doctor_ids[patient.doctor],
                patient_name=patient.name,
                patient_age=patient.age,
                patient_id=patient.key,
                source=patient.source,
                time_slot=slot,
                date=self.script.config.day,
                waitlist=waitlist,
            )
            return dict(self.run(BookToken, payload, now)["token"])

        if patient.slot is None:
            return book(None, self.policy.realloc)
        start, end = plan.slots[patient.slot]
        wanted = TimeRange(start_time=start, end_time=end)
        try:
            return book(wanted, waitlist=False)
        except Rejection as full:
            if full.code is not ErrorCode.SLOT_FULL:
                raise
            others = full.details["suggestions"]["slots"]
            if others:
                return book(TimeRange.model_validate(others[0]["timeSlot"]), waitlist=False)
            if not self.policy.realloc:
                raise
            return book(wanted, waitlist=True)

    def _emergency(self, patient: PatientPlan, now: datetime) -> tuple[int, dict[str, Any]]:
        """The patient's doctor, else the colleagues of the same specialization in turn (as the gateway does)."""
        specialization = self.script.doctors[patient.doctor].specialization
        colleagues = [i for i, d in enumerate(self.script.doctors) if d.specialization == specialization]
        candidates = [patient.doctor, *(i for i in colleagues if i != patient.doctor)]
        for doctor in candidates:
            payload = AddEmergencyPayload(
                doctor_id=self.doctor_ids[doctor],
                patient_name=patient.name,
                patient_age=patient.age,
                patient_id=patient.key,
                date=self.script.config.day,
            )
            try:
                return doctor, dict(self.run(AddEmergency, payload, now)["token"])
            except Rejection as refused:
                if refused.code is not ErrorCode.NO_EMERGENCY_CAPACITY or doctor == candidates[-1]:
                    raise
        raise AssertionError("unreachable: the last candidate raises")

    def _arrive(self, number: int, now: datetime) -> int | None:
        if number not in self.tokens:
            return None
        self._check_in(number, now)
        return self.tokens[number][0]

    def _check_in(self, number: int, now: datetime) -> None:
        doctor, token_number = self.tokens[number]
        payload = TokenActionPayload(doctor_id=self.doctor_ids[doctor], token_id=token_number)
        try:
            result = self.run(CheckIn, payload, now)
        except Rejection:
            return  # cancelled meanwhile, or arrived after the doctor's last slot
        if result.get("lateArrival") and result["token"]["status"] == "pending" and not self.policy.realloc:
            self._cancel_token(doctor, token_number, "arrived late and no seat is left: please book again", now)

    def _cancel(self, number: int, now: datetime) -> int | None:
        """A booked patient cancels; a walk-in waiting here leaves, unless already called."""
        token = self.token(number)
        patient = self.script.patients[number]
        if token is None or not token.status.is_active or token.called_at is not None:
            return None
        if patient.walks_in and token.checked_in_at is None:
            return None  # gone until their slot: not waiting, so not leaving
        reason = "left without being seen" if patient.walks_in else "cancelled by the patient"
        doctor = self.tokens[number][0]
        self._cancel_token(doctor, token.token_number, reason, now)
        return doctor

    def _cancel_token(self, doctor: int, token_number: str, reason: str, now: datetime) -> None:
        payload = CancelTokenPayload(doctor_id=self.doctor_ids[doctor], token_id=token_number, reason=reason)
        self.run(CancelToken, payload, now)

    # -- the doctors ---------------------------------------------------------------------------------------

    def _callable(self, doctor: int, now: datetime) -> bool:
        """The doctor is in and the next patient in call order is here, for a slot that has started."""
        if now < self.ready[doctor]:
            return False
        day = self.day(doctor)
        here = TokenStatus.CONFIRMED
        if not any(t.status is here and t.checked_in_at is not None and t.called_at is None for t in day.tokens):
            return False  # nobody is here (quick to see; the call order is not)
        queue = day.call_order(now)
        return bool(queue) and queue[0].checked_in_at is not None and day.slot(queue[0].slot_id).starts_at <= now

    def _call(self, doctor: int, now: datetime) -> None:
        if not self._callable(doctor, now):
            return
        result = self.run(CallNext, CallNextPayload(doctor_id=self.doctor_ids[doctor]), now)
        self._consult(doctor, result["nowServing"]["tokenNumber"], now)

    def _consult(self, doctor: int, token_number: str, now: datetime) -> None:
        patient = self.patient_of[token_number]
        self.serving[doctor] = patient
        self.at(now + timedelta(minutes=self.script.patients[patient].consult_minutes), Due.FINISH, doctor)

    def _finish(self, doctor: int, now: datetime) -> None:
        """The consultation is over: the doctor calls the next patient if one is here, else just completes."""
        patient = self.serving.pop(doctor)
        if self._callable(doctor, now):
            result = self.run(CallNext, CallNextPayload(doctor_id=self.doctor_ids[doctor]), now)
            self._consult(doctor, result["nowServing"]["tokenNumber"], now)
            return
        token_number = self.tokens[patient][1]
        self.run(CompleteToken, TokenActionPayload(doctor_id=self.doctor_ids[doctor], token_id=token_number), now)

    # -- the record ----------------------------------------------------------------------------------------

    def _record(self) -> DayRecord:
        ended = {e.token: e.at for e in self.events if e.status in ("cancelled", "no_show")}
        doctors, facts = [], []
        for index, plan in enumerate(self.script.doctors):
            day = self.day(index)
            doctors.append(DoctorSheet(plan.code, plan.code, plan.name, plan.specialization, _sheets(self.ws, day)))
            facts += [
                TokenFact(
                    doctor=plan.code,
                    number=t.token_number,
                    source=t.source.value,
                    status=t.status.value,
                    slot=day.slot(t.slot_id).label(),
                    arrived_at=t.checked_in_at,
                    called_at=t.called_at,
                    completed_at=t.completed_at,
                    ended_at=ended.get(t.token_number),
                )
                for t in day.tokens
            ]
        return DayRecord(
            doctors=doctors,
            tokens=facts,
            events=self.events,
            notifications=self.messages,
            turned_away=self.turned_away,
            day_update=self.script.at(self.ws.policy.day_updates_from),
            notes={"notifications": "messages the notifier's templates would send (before ETA coalescing)"},
        )


def _sheets(ws: Workspace, day: Day) -> tuple[SlotSheet, ...]:
    sheets = []
    for slot in day.slots:
        ledger = day.ledger(slot, slot.ends_at, ws.policy.release_reserve_at_start)
        sheets.append(
            SlotSheet(
                label=slot.label(),
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                capacity=slot.capacity,
                reserved=slot.reserved,
                seats_used=sum(1 for t in day.tokens if t.slot_id == slot.id and t.status in SEATED),
                overflow_used=ledger.overflow_used,
                waitlist=len(day.in_slot(slot, TokenStatus.PENDING)),
                status=slot.status.value,
            )
        )
    return tuple(sheets)


def play(script: DayScript, policy: PlayPolicy) -> DayRecord:
    """Play the whole day under ``policy``; the script is not changed and can be played again."""
    return _Player(script, policy).play()
