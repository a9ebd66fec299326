"""Commands: what clients (gateway, kiosks) ask the allocator to do. Imperative names, one payload each."""

import datetime as dt
import itertools
from typing import TYPE_CHECKING, Annotated, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import AfterValidator, Field, StrictBool, TypeAdapter, model_validator

from shared.contracts.base import Contract
from shared.contracts.caller import Caller
from shared.contracts.values import (
    ClockTime,
    Email,
    Language,
    NoBoolean,
    PatientAge,
    PatientName,
    Phone,
    SlotTemplate,
    TimeRange,
    TokenSource,
    Weekday,
    WorkingDay,
)
from shared.routing import shard_for

TokenRef = Annotated[str, Field(min_length=1, max_length=64, description="token id (UUID) or tokenNumber")]
Reason = Annotated[str, Field(min_length=1, max_length=300)]


def _without_overlaps(slots: tuple[SlotTemplate, ...]) -> tuple[SlotTemplate, ...]:
    """Weekly slots in time order, refusing two that overlap."""
    ordered = tuple(sorted(slots, key=lambda slot: slot.start_time))
    for earlier, later in itertools.pairwise(ordered):
        if later.start_time < earlier.end_time:
            raise ValueError(f"time slots {earlier.label()} and {later.label()} overlap")
    return ordered


WeeklySlots = Annotated[tuple[SlotTemplate, ...], Field(min_length=1, max_length=24), AfterValidator(_without_overlaps)]


class CreateDoctorPayload(Contract):
    doctor_id: UUID
    name: Annotated[str, Field(min_length=1, max_length=120)]
    specialization: Annotated[str, Field(min_length=1, max_length=80)]
    time_slots: WeeklySlots
    working_days: Annotated[tuple[WorkingDay, ...], Field(min_length=1, max_length=7)] = (
        Weekday.MONDAY,
        Weekday.TUESDAY,
        Weekday.WEDNESDAY,
        Weekday.THURSDAY,
        Weekday.FRIDAY,
        Weekday.SATURDAY,
    )
    room: Annotated[str, Field(max_length=40)] | None = None


class UpdateDoctorSlotsPayload(Contract):
    doctor_id: UUID
    time_slots: WeeklySlots
    working_days: Annotated[tuple[WorkingDay, ...], Field(min_length=1, max_length=7)] | None = None


class PatientDetails(Contract):
    """Who the token is for; contacts decide which channels can reach the patient."""

    patient_name: PatientName
    patient_age: PatientAge
    patient_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    phone: Phone | None = None
    email: Email | None = None
    language: Language | None = None


class BookTokenPayload(PatientDetails):
    doctor_id: UUID
    source: TokenSource = TokenSource.WALKIN
    time_slot: TimeRange | None = None
    date: dt.date | None = None
    waitlist: StrictBool = True


class AddEmergencyPayload(PatientDetails):
    doctor_id: UUID
    time_slot: TimeRange | None = None
    date: dt.date | None = None


PatientCode = Annotated[str, Field(min_length=1, max_length=32, description="the patient's cancel code")]


class CancelTokenPayload(Contract):
    """Below the staff role, ``cancelCode`` (the patient's, given at booking) is required."""

    doctor_id: UUID
    token_id: TokenRef
    reason: Reason | None = None
    cancel_code: PatientCode | None = Field(None, description="the patient's cancel code (needed below the staff role)")


class MarkNoShowPayload(Contract):
    doctor_id: UUID
    token_id: TokenRef


class MarkDoctorUnavailablePayload(Contract):
    """The doctor cannot see patients on ``date`` (all day, or from ``startTime`` to ``endTime``)."""

    doctor_id: UUID
    date: dt.date
    start_time: ClockTime | None = None
    end_time: ClockTime | None = None
    reason: Reason | None = None

    @model_validator(mode="after")
    def _range(self) -> "MarkDoctorUnavailablePayload":
        if (self.start_time is None) != (self.end_time is None):
            raise ValueError("give both startTime and endTime, or neither for the whole day")
        if self.start_time is not None and self.end_time is not None and self.end_time <= self.start_time:
            raise ValueError("endTime must be after startTime")
        return self


class TokenActionPayload(Contract):
    """A step of the OPD day on one token: check-in, complete, recall."""

    doctor_id: UUID
    token_id: TokenRef


class CallNextPayload(Contract):
    """``serving``: the token the desk sees in consultation; if another one is (two desks pressing at once), the
    call is refused instead of completing a patient called a moment before."""

    doctor_id: UUID
    date: dt.date | None = None
    serving: TokenRef | None = None


class DelayDoctorPayload(Contract):
    """The doctor starts late or pauses: every waiting patient's estimated time moves by ``minutes``."""

    doctor_id: UUID
    minutes: Annotated[int, NoBoolean, Field(ge=0, le=720)]
    reason: Reason | None = None
    date: dt.date | None = None


class TickPayload(Contract):
    shard: Annotated[int, NoBoolean, Field(ge=0, le=255)]


class ReallocatePayload(Contract):
    doctor_id: UUID
    date: dt.date | None = None


PayloadT = TypeVar("PayloadT", covariant=True)


class CommandBase(Contract, Generic[PayloadT]):
    """Envelope fields every command carries, around its payload. ``commandId`` is the idempotency key."""

    command_id: UUID
    issued_at: dt.datetime
    source: Annotated[str, Field(min_length=1, max_length=64, description="who issued it, e.g. gateway")]
    schema_version: Literal[1] = 1
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    caller: Caller | None = Field(
        None, description="the API caller a relay (the gateway) acts for; refused from any other publisher"
    )
    if TYPE_CHECKING:  # each command type declares both: its ``type`` tag and its own payload type
        type: str = ""
        payload: PayloadT

    @property
    def doctor_id(self) -> UUID:
        """The doctor the command is about: every payload but the clock's names one (``Tick`` says so)."""
        doctor_id: UUID = getattr(self.payload, "doctor_id")  # noqa: B009  (payloads share no base class)
        return doctor_id

    def shard(self, shard_count: int) -> int:
        """The command queue that owns this command: its doctor's shard."""
        return shard_for(self.doctor_id, shard_count)


class CreateDoctor(CommandBase[CreateDoctorPayload]):
    type: Literal["CreateDoctor"] = "CreateDoctor"
    payload: CreateDoctorPayload


class UpdateDoctorSlots(CommandBase[UpdateDoctorSlotsPayload]):
    type: Literal["UpdateDoctorSlots"] = "UpdateDoctorSlots"
    payload: UpdateDoctorSlotsPayload


class BookToken(CommandBase[BookTokenPayload]):
    type: Literal["BookToken"] = "BookToken"
    payload: BookTokenPayload


class AddEmergency(CommandBase[AddEmergencyPayload]):
    type: Literal["AddEmergency"] = "AddEmergency"
    payload: AddEmergencyPayload


class CancelToken(CommandBase[CancelTokenPayload]):
    type: Literal["CancelToken"] = "CancelToken"
    payload: CancelTokenPayload


class MarkNoShow(CommandBase[MarkNoShowPayload]):
    type: Literal["MarkNoShow"] = "MarkNoShow"
    payload: MarkNoShowPayload


class CheckIn(CommandBase[TokenActionPayload]):
    type: Literal["CheckIn"] = "CheckIn"
    payload: TokenActionPayload


class CallNext(CommandBase[CallNextPayload]):
    type: Literal["CallNext"] = "CallNext"
    payload: CallNextPayload


class CompleteToken(CommandBase[TokenActionPayload]):
    type: Literal["CompleteToken"] = "CompleteToken"
    payload: TokenActionPayload


class RecallTokenPayload(TokenActionPayload):
    """Called but not here, or (before the call) running late. Below the staff role, ``cancelCode`` is required."""

    cancel_code: PatientCode | None = Field(None, description="the patient's cancel code (needed below the staff role)")


class RecallToken(CommandBase[RecallTokenPayload]):
    type: Literal["RecallToken"] = "RecallToken"
    payload: RecallTokenPayload


class DelayDoctor(CommandBase[DelayDoctorPayload]):
    type: Literal["DelayDoctor"] = "DelayDoctor"
    payload: DelayDoctorPayload


class MarkDoctorUnavailable(CommandBase[MarkDoctorUnavailablePayload]):
    type: Literal["MarkDoctorUnavailable"] = "MarkDoctorUnavailable"
    payload: MarkDoctorUnavailablePayload


class Tick(CommandBase[TickPayload]):
    """The clock's turn on a shard: no-shows, roll-overs, releases, ETAs for today. Published by allocators."""

    type: Literal["Tick"] = "Tick"
    payload: TickPayload

    @property
    def doctor_id(self) -> UUID:
        raise AttributeError("a tick concerns a whole shard, not one doctor")

    def shard(self, shard_count: int) -> int:
        return self.payload.shard


class Reallocate(CommandBase[ReallocatePayload]):
    type: Literal["Reallocate"] = "Reallocate"
    payload: ReallocatePayload


if TYPE_CHECKING:
    AnyCommand = CommandBase[Contract]  # any command: every command type is one (its payload type is covariant)
else:
    AnyCommand = CommandBase  # at run time, the class itself: isinstance checks and pydantic fields keep working

Command = Annotated[
    CreateDoctor
    | UpdateDoctorSlots
    | MarkDoctorUnavailable
    | BookToken
    | AddEmergency
    | CancelToken
    | MarkNoShow
    | CheckIn
    | CallNext
    | CompleteToken
    | RecallToken
    | DelayDoctor
    | Reallocate
    | Tick,
    Field(discriminator="type"),
]
COMMAND_ADAPTER: TypeAdapter[Command] = TypeAdapter(Command)
COMMAND_TYPES: tuple[type[AnyCommand], ...] = (
    CreateDoctor,
    UpdateDoctorSlots,
    MarkDoctorUnavailable,
    BookToken,
    AddEmergency,
    CancelToken,
    MarkNoShow,
    CheckIn,
    CallNext,
    CompleteToken,
    RecallToken,
    DelayDoctor,
    Reallocate,
    Tick,
)
