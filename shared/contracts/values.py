"""Value types used across commands, replies and events."""

import re
from datetime import time
from enum import IntEnum, StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, WithJsonSchema, model_validator

from shared.contracts.base import Contract


def _refuse_booleans(value: object) -> object:
    """``true``/``false`` are not numbers (pydantic's lax mode would read them as 1 and 0)."""
    if isinstance(value, bool):
        raise ValueError("a number is expected, not true or false")
    return value


NoBoolean = BeforeValidator(_refuse_booleans)
"""On every whole-number field of a contract: a number (or, from forms, numeric text), never a boolean."""


class TokenSource(StrEnum):
    """Where a token request came from; each source has a fixed priority."""

    EMERGENCY = "emergency"
    PRIORITY = "priority"
    FOLLOWUP = "followup"
    ONLINE = "online"
    WALKIN = "walkin"

    @property
    def priority(self) -> "Priority":
        return Priority[self.name]


class Priority(IntEnum):
    """Consultation priority: lower is seen first."""

    EMERGENCY = 1
    PRIORITY = 2
    FOLLOWUP = 3
    ONLINE = 4
    WALKIN = 5


class TokenStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"

    @property
    def is_active(self) -> bool:
        return self in (TokenStatus.PENDING, TokenStatus.CONFIRMED)


class SlotStatus(StrEnum):
    AVAILABLE = "available"
    FULL = "full"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class Weekday(StrEnum):
    MONDAY = "Monday"
    TUESDAY = "Tuesday"
    WEDNESDAY = "Wednesday"
    THURSDAY = "Thursday"
    FRIDAY = "Friday"
    SATURDAY = "Saturday"
    SUNDAY = "Sunday"


def _parse_weekday(value: Any) -> Any:
    """Accept weekday names in any case and common three-letter abbreviations."""
    if isinstance(value, str):
        text = value.strip().lower()
        for day in Weekday:
            if day.value.lower() == text or day.value.lower()[:3] == text:
                return day
    return value


WorkingDay = Annotated[Weekday, BeforeValidator(_parse_weekday)]

_RANGE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*-\s*(\d{1,2}:\d{2})\s*$")


def _parse_clock_time(value: Any) -> Any:
    """Accept "9:00" as well as "09:00"; anything else is left to pydantic's time parser."""
    if isinstance(value, str) and re.fullmatch(r"\d:\d{2}", value.strip()):
        return "0" + value.strip()
    return value


def _local_minute(value: time) -> time:
    """A time of the hospital's day is local (no UTC offset) and in whole minutes, as it is shown."""
    if value.tzinfo is not None:
        raise ValueError("a clock time is the hospital's local time: give it without a UTC offset, e.g. 09:30")
    if value.second or value.microsecond:
        raise ValueError("a clock time is in whole minutes, e.g. 09:30")
    return value


def range_label(start: time, end: time) -> str:
    """A slot's time of day as the original API names it: ``09:00-10:00``."""
    return f"{start.isoformat('minutes')}-{end.isoformat('minutes')}"


ClockTime = Annotated[
    time,
    BeforeValidator(_parse_clock_time),
    AfterValidator(_local_minute),
    PlainSerializer(lambda value: value.isoformat("minutes"), return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^(([01][0-9]|2[0-3]):[0-5][0-9](:00)?|[0-9]:[0-5][0-9])$",
            "examples": ["09:30"],
        },
        "validation",
    ),
]


class TimeRange(Contract):
    """A slot's time of day: accepted as ``"09:00-10:00"`` or ``{"startTime", "endTime"}``."""

    start_time: ClockTime
    end_time: ClockTime

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            match = _RANGE.match(value)
            if not match:
                raise ValueError('time slot must look like "09:00-10:00"')
            return {"startTime": match.group(1), "endTime": match.group(2)}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> "TimeRange":
        if self.end_time <= self.start_time:
            raise ValueError("endTime must be after startTime")
        return self

    def label(self) -> str:
        return range_label(self.start_time, self.end_time)


class SlotTemplate(TimeRange):
    """A recurring slot of a doctor's week: time range, hard capacity, seats kept for emergencies.

    ``quotas`` (optional) give a source its own seats: at most that many of its tokens, and until the slot
    starts the unused ones are kept for it (e.g. ``{"online": 6}`` leaves the other seats to walk-ins and
    releases online's unused seats to them at the start).
    """

    max_capacity: Annotated[int, NoBoolean, Field(ge=1, le=500)]
    reserved_emergency_slots: Annotated[int, NoBoolean, Field(ge=0, le=499)] = 1
    quotas: dict[TokenSource, Annotated[int, NoBoolean, Field(ge=0, le=500)]] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _seats_add_up(self) -> "SlotTemplate":
        if self.reserved_emergency_slots >= self.max_capacity:
            raise ValueError("reservedEmergencySlots must be smaller than maxCapacity")
        if TokenSource.EMERGENCY in self.quotas:
            raise ValueError("emergencies have reserved seats, not a quota")
        if sum(self.quotas.values()) + self.reserved_emergency_slots > self.max_capacity:
            raise ValueError("quotas plus reservedEmergencySlots must not exceed maxCapacity")
        return self


PatientName = Annotated[str, Field(min_length=1, max_length=120, pattern=r"\S")]
PatientAge = Annotated[int, NoBoolean, Field(ge=0, le=130)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 \-]{5,19}$")]
Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
Language = Annotated[str, Field(pattern=r"^(en|hi)$")]
