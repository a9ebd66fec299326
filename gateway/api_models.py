"""The REST API's shapes as pydantic models, for its OpenAPI document.

Request bodies are the command payloads the gateway validates with, minus the fields it takes from the path
(``rest_body``); answers are the shared views as ``gateway.bodies`` shapes them. A schemathesis run in the suite
checks that the gateway's responses match these.
"""

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from pydantic import ConfigDict, Field, create_model

from gateway.audit import NotificationView
from gateway.public import PublicToken
from gateway.status_page.view import Stage
from shared.contracts.base import Contract
from shared.contracts.commands import (
    AddEmergencyPayload,
    CallNextPayload,
    CancelTokenPayload,
    CreateDoctorPayload,
    DelayDoctorPayload,
    MarkDoctorUnavailablePayload,
    ReallocatePayload,
    RecallTokenPayload,
    UpdateDoctorSlotsPayload,
)
from shared.contracts.views import DoctorBrief, DoctorView, SlotView, TokenView


def rest_body(payload: type[Contract], name: str, drop: tuple[str, ...], **fields: Any) -> type[Contract]:
    """``payload`` without the ``drop``ped fields (the path gives them), plus ``fields``; same constraints."""
    kept: dict[str, Any] = {key: (f.annotation, f) for key, f in payload.model_fields.items() if key not in drop}
    return create_model(name, __base__=Contract, __doc__=payload.__doc__, **kept, **fields)


CreateDoctorBody = rest_body(
    CreateDoctorPayload,
    "CreateDoctorBody",
    ("doctor_id",),
    doctor_id=(UUID, Field(default_factory=uuid4, description="default: new, or derived from the Idempotency-Key")),
)
UpdateSlotsBody = rest_body(UpdateDoctorSlotsPayload, "UpdateSlotsBody", ("doctor_id",))
UnavailabilityBody = rest_body(MarkDoctorUnavailablePayload, "UnavailabilityBody", ("doctor_id",))
EmergencyBySpecializationBody = rest_body(
    AddEmergencyPayload,
    "EmergencyBySpecializationBody",
    ("doctor_id",),
    specialization=(Annotated[str, Field(min_length=1, max_length=80)], ...),
)
CancelBody = rest_body(CancelTokenPayload, "CancelBody", ("doctor_id", "token_id"))
RecallBody = rest_body(RecallTokenPayload, "RecallBody", ("doctor_id", "token_id"))
CallNextBody = rest_body(CallNextPayload, "CallNextBody", ("doctor_id",))
DelayBody = rest_body(DelayDoctorPayload, "DelayBody", ("doctor_id",))
ReallocateBody = rest_body(ReallocatePayload, "ReallocateBody", ("doctor_id",))


class FieldError(Contract):
    model_config = ConfigDict(extra="allow")

    field: str
    message: str | None = None


class SuggestedSlot(Contract):
    """Another slot of the same doctor that day with a seat for the patient."""

    date: dt.date
    time_slot: str
    start_time: str
    end_time: str
    seats_left: int


class SuggestedDoctor(Contract):
    """A colleague of the same specialization who can see the patient that day."""

    model_config = ConfigDict(extra="allow")

    document_id: UUID = Field(alias="_id")
    doctor_id: UUID
    name: str
    specialization: str
    room: str | None = None
    date: dt.date
    time_slot: str
    earliest_time: dt.datetime


class ErrorBody(Contract):
    """A refusal; details (``errors``, ``requiredRole``, ``nextSlot``…) sit alongside. A full slot or an
    emergency without a seat names ``suggestedSlots`` and ``suggestedDoctors``, as the original did."""

    model_config = ConfigDict(extra="allow")

    success: Literal[False]
    error: str
    code: str
    errors: list[FieldError] | None = None
    suggested_slots: list[SuggestedSlot] | None = None
    suggested_doctors: list[SuggestedDoctor] | None = None


class Answer(Contract):
    """``success`` and what the body carries, each under its own name; hints may sit alongside."""

    model_config = ConfigDict(extra="allow")

    success: Literal[True]


class Identified(Contract):
    document_id: UUID = Field(alias="_id", description="the same as `id`, as the original system's clients read it")


class WeeklySlot(Identified):
    """A slot of the doctor's week, with today's seats taken and whether it runs today (not cancelled)."""

    id: UUID
    start_time: str
    end_time: str
    max_capacity: int
    reserved_emergency_slots: int
    quotas: dict[str, int]
    current_count: int
    is_active: bool


class Doctor(Identified, DoctorView):
    time_slots: tuple[WeeklySlot, ...]  # type: ignore[assignment]
    created_at: dt.datetime


class DatedSlot(Identified, SlotView):
    tokens: list[UUID] = Field(description="ids of the tokens holding its seats (currentCount of them)")


class Token(Identified, TokenView):
    actual_time: dt.datetime | None = Field(description="when the patient was called in")
    estimated_wait_time: int | None = Field(
        None, description="on a new token: minutes until its estimated time; null while waitlisted"
    )


class DoctorRef(Identified):
    id: UUID
    name: str
    specialization: str


class ListedToken(Token):
    doctor_id: DoctorRef  # type: ignore[assignment]


class BriefDoctor(Identified, DoctorBrief):
    pass


class Page(Answer):
    total: int
    limit: int
    offset: int


class DoctorPage(Page):
    doctors: list[Doctor]


class DoctorAnswer(Answer):
    doctor: Doctor


class ScheduleAnswer(Answer):
    date: dt.date
    slots: list[DatedSlot]
    doctor: Doctor
    working_day: bool


QueueToken = Annotated[Token | PublicToken, Field(description="with the patient for staff, else public")]


class QueueAnswer(Answer):
    date: dt.date
    now_serving: QueueToken | None
    next: list[QueueToken]
    waitlist: list[QueueToken]
    counts: dict[str, int] = Field(description="tokens per status, plus waiting and checkedIn")
    consult_minutes: float | None
    delay_minutes: int
    delay_reason: str | None


class DoctorTokensAnswer(Page):
    tokens: list[ListedToken]
    count: int
    date: dt.date


class TokenAnswer(Answer):
    token: Token


class NotificationsAnswer(Answer):
    token_id: UUID
    token_number: str
    notifications: list[NotificationView]
    count: int


class BoardDoctor(Contract):
    id: UUID
    name: str
    specialization: str
    room: str | None


class BoardAnswer(Answer):
    doctor: BoardDoctor
    date: dt.date
    now_serving: PublicToken | None
    next: list[PublicToken]
    waitlist: list[str] = Field(description="short numbers")
    waiting: int
    completed: int
    delay_minutes: int


class StatusRow(Contract):
    key: Literal["token", "doctor", "room", "day", "slot", "before", "eta", "updated"]
    label: str
    value: str = Field(description='as the patient reads it, "-" when not known')


class PatientStatus(Contract):
    """A patient's page, as text in their language; the stage and the actions' availability as data."""

    language: str
    stage: Stage
    headline: str
    rows: list[StatusRow]
    can_late: bool
    can_cancel: bool
    actions: dict[str, str] = Field(description="the action buttons' texts, in the patient's language")


class PatientStatusAnswer(Answer):
    status: PatientStatus


class SmsReply(Answer):
    """The text to send back to the patient, in the shape of the outbound webhook's body, and what was done."""

    to: str
    text: str
    language: str
    action: Literal["cancel", "late", "status", "refused", "help", "none"]


class Done(Answer):
    """The allocator's answer to a write, with the original's ``message``."""

    message: str
    command_id: UUID


class DoctorDone(Done):
    doctor: Doctor


class TokenDone(Done):
    token: Token
    doctor: BriefDoctor | None = None
    suggested_slots: list[SuggestedSlot] | None = None
    suggested_doctors: list[SuggestedDoctor] | None = None
    cancel_code: str | None = Field(None, description="shown once, for a new token")
    status_page: str | None = Field(None, description="the patient's status link (/t/<code>), for a new token")


class CallNextDone(Done):
    completed: Token | None
    now_serving: Token | None
    up_next: Token | None
    waiting: int


class DayDone(Done):
    """What changed on the doctor's day."""

    doctor_id: UUID
    date: dt.date


class ReallocationStats(Contract):
    reallocated_count: int = Field(description="tokens promoted to a seat or moved to a later slot")
    failed_count: int = Field(description="waiting tokens cancelled: no slot left that day")
    total_tokens: int = Field(description="tokens waiting or holding a seat when the reallocation began")


class ReallocateDone(DayDone):
    stats: ReallocationStats


class CommandOutcome(Done):
    """The body the write would have answered (its ``message``, ``token``, ``doctor``, ``stats``…)."""


class Accepted(Contract):
    """The allocator has not answered in time: the command is queued, its outcome will be at ``statusUrl``."""

    success: Literal[True]
    accepted: Literal[True]
    command_id: UUID
    status_url: str
    message: str


class Pending(Contract):
    success: Literal[True]
    status: Literal["pending"]
    command_id: UUID


class Health(Contract):
    success: bool
    status: str
    checks: dict[str, str] | None = None
