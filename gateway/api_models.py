"""The REST API's shapes as pydantic models, for its OpenAPI document.

Request bodies are the command payloads the gateway validates with, minus the fields it takes from the path
(``rest_body``); answers wrap the shared views. A schemathesis run in the suite checks that the gateway's
responses match these.
"""

import datetime as dt
from typing import Annotated, Any, Literal
from uuid import UUID, uuid4

from pydantic import ConfigDict, Field, create_model

from gateway.audit import NotificationView
from gateway.public import PublicToken
from shared.contracts.base import Contract
from shared.contracts.commands import (
    AddEmergencyPayload,
    CallNextPayload,
    CancelTokenPayload,
    CreateDoctorPayload,
    DelayDoctorPayload,
    MarkDoctorUnavailablePayload,
    ReallocatePayload,
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
CallNextBody = rest_body(CallNextPayload, "CallNextBody", ("doctor_id",))
DelayBody = rest_body(DelayDoctorPayload, "DelayBody", ("doctor_id",))
ReallocateBody = rest_body(ReallocatePayload, "ReallocateBody", ("doctor_id",))


class FieldError(Contract):
    model_config = ConfigDict(extra="allow")

    field: str
    message: str | None = None


class ErrorBody(Contract):
    """A refusal; details (``errors``, ``requiredRole``, ``suggestedDoctors``, ``nextSlot``…) sit alongside."""

    model_config = ConfigDict(extra="allow")

    success: Literal[False]
    error: str
    code: str
    errors: list[FieldError] | None = None


class Answer(Contract):
    """``success`` and ``data``; hints (e.g. ``suggestions``, ``suggestedDoctors``) may sit alongside."""

    model_config = ConfigDict(extra="allow")

    success: Literal[True]


class Page(Answer):
    total: int
    limit: int
    offset: int


class DoctorPage(Page):
    data: list[DoctorView]


class DoctorAnswer(Answer):
    data: DoctorView


class Schedule(Contract):
    doctor: DoctorView
    date: dt.date
    working_day: bool
    slots: list[SlotView]


class ScheduleAnswer(Answer):
    data: Schedule


QueueToken = Annotated[TokenView | PublicToken, Field(description="with the patient for staff, else public")]


class Queue(Contract):
    date: dt.date
    now_serving: QueueToken | None
    next: list[QueueToken]
    waitlist: list[QueueToken]
    counts: dict[str, int] = Field(description="tokens per status, plus waiting and checkedIn")
    consult_minutes: float | None
    delay_minutes: int
    delay_reason: str | None


class QueueAnswer(Answer):
    data: Queue


class DoctorTokensAnswer(Page):
    data: list[TokenView]
    count: int
    date: dt.date


class TokenAnswer(Answer):
    data: TokenView


class NotificationsAnswer(Answer):
    token_id: UUID
    token_number: str
    data: list[NotificationView]
    count: int


class BoardDoctor(Contract):
    id: UUID
    name: str
    specialization: str
    room: str | None


class Board(Contract):
    doctor: BoardDoctor
    date: dt.date
    now_serving: PublicToken | None
    next: list[PublicToken]
    waitlist: list[str] = Field(description="short numbers")
    waiting: int
    completed: int
    delay_minutes: int


class BoardAnswer(Answer):
    data: Board


class Done(Answer):
    """The allocator's answer to a write."""

    command_id: UUID


class DoctorDone(Done):
    data: DoctorView


class TokenDone(Done):
    data: TokenView
    doctor: DoctorBrief | None = None
    cancel_code: str | None = Field(None, description="shown once, for a new token")


class CallNextResult(Contract):
    completed: TokenView | None
    now_serving: TokenView | None
    up_next: TokenView | None
    waiting: int


class CallNextDone(Done):
    data: CallNextResult


class DayResult(Contract):
    """What changed on the doctor's day."""

    model_config = ConfigDict(extra="allow")

    doctor_id: UUID
    date: dt.date


class DayDone(Done):
    data: DayResult


class CommandOutcome(Done):
    data: dict[str, Any]


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
