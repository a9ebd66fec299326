"""Events: what happened, published on ``opd.events`` with the type as routing key."""

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import Field, TypeAdapter

from shared.contracts.base import Contract
from shared.contracts.reasons import Cause, ReasonCode, ReasonParams
from shared.contracts.views import DoctorView, TokenView


class DoctorPayload(Contract):
    doctor: DoctorView


class TokenPayload(Contract):
    """The token after the change, and why it changed when it was not the patient's own request."""

    token: TokenView
    reason: str | None = Field(default=None, description="in English, for staff; may name other tokens")
    reason_code: ReasonCode | None = Field(default=None, description="why, for the patient: render it from the code")
    reason_params: ReasonParams = Field(default_factory=dict, description="the code's parameters")
    previous_estimated_time: datetime | None = None  # on an ETA notice: the ETA it moved from (D33)

    @classmethod
    def of(cls, token: TokenView, cause: Cause | None = None, **extra: Any) -> "TokenPayload":
        """The payload for a token, with the reason's text, code and parameters when there is one."""
        return cls(token=token, **(cause.fields() if cause else {}), **extra)


PayloadT = TypeVar("PayloadT", covariant=True)


class EventBase(Contract, Generic[PayloadT]):
    event_id: UUID
    occurred_at: datetime
    doctor_id: UUID
    sequence: Annotated[int, Field(ge=1, description="per-doctor, gap-free, in publish order")]
    causation_id: UUID | None = None
    correlation_id: UUID | None = None
    if TYPE_CHECKING:  # each event type declares both: its ``type`` tag and its own payload type
        type: str = ""
        payload: PayloadT


class DoctorCreated(EventBase[DoctorPayload]):
    type: Literal["doctor.created"] = "doctor.created"
    payload: DoctorPayload


class DoctorSlotsUpdated(EventBase[DoctorPayload]):
    type: Literal["doctor.slots_updated"] = "doctor.slots_updated"
    payload: DoctorPayload


class TokenConfirmed(EventBase[TokenPayload]):
    type: Literal["token.confirmed"] = "token.confirmed"
    payload: TokenPayload


class TokenWaitlisted(EventBase[TokenPayload]):
    type: Literal["token.waitlisted"] = "token.waitlisted"
    payload: TokenPayload


class TokenPromoted(EventBase[TokenPayload]):
    type: Literal["token.promoted"] = "token.promoted"
    payload: TokenPayload


class TokenMoved(EventBase[TokenPayload]):
    """The token now belongs to another slot (roll-over at slot end, doctor unavailable)."""

    type: Literal["token.moved"] = "token.moved"
    payload: TokenPayload


class TokenCancelled(EventBase[TokenPayload]):
    type: Literal["token.cancelled"] = "token.cancelled"
    payload: TokenPayload


class TokenNoShow(EventBase[TokenPayload]):
    type: Literal["token.no_show"] = "token.no_show"
    payload: TokenPayload


class TokenCheckedIn(EventBase[TokenPayload]):
    type: Literal["token.checked_in"] = "token.checked_in"
    payload: TokenPayload


class TokenCalled(EventBase[TokenPayload]):
    """Please proceed to the doctor's room now."""

    type: Literal["token.called"] = "token.called"
    payload: TokenPayload


class TokenUpNext(EventBase[TokenPayload]):
    """You are next: be ready."""

    type: Literal["token.up_next"] = "token.up_next"
    payload: TokenPayload


class TokenCompleted(EventBase[TokenPayload]):
    type: Literal["token.completed"] = "token.completed"
    payload: TokenPayload


class TokenRecalled(EventBase[TokenPayload]):
    """Called but did not come: put back a few places in the queue."""

    type: Literal["token.recalled"] = "token.recalled"
    payload: TokenPayload


class TokenDoctorDelayed(EventBase[TokenPayload]):
    """The doctor runs late: the patient's new estimated time, with the reason."""

    type: Literal["token.doctor_delayed"] = "token.doctor_delayed"
    payload: TokenPayload


class TokenEtaChanged(EventBase[TokenPayload]):
    type: Literal["token.eta_changed"] = "token.eta_changed"
    payload: TokenPayload


if TYPE_CHECKING:
    AnyEvent = EventBase[Contract]  # any event: every event type is one (its payload type is covariant)
else:
    AnyEvent = EventBase  # at run time, the class itself: isinstance checks and pydantic fields keep working

Event = Annotated[
    DoctorCreated
    | DoctorSlotsUpdated
    | TokenConfirmed
    | TokenWaitlisted
    | TokenPromoted
    | TokenMoved
    | TokenCancelled
    | TokenNoShow
    | TokenCheckedIn
    | TokenCalled
    | TokenUpNext
    | TokenCompleted
    | TokenRecalled
    | TokenDoctorDelayed
    | TokenEtaChanged,
    Field(discriminator="type"),
]
EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)
