"""Which of a doctor's days a command reads or changes, worked out from its payload before its handler runs: the
shell loads exactly those (the registry in ``allocator.domain.handlers`` names one rule per command type)."""

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from shared.contracts.commands import CommandBase


@dataclass(frozen=True, slots=True)
class OnDates:
    """These days (none for a command about the doctor alone)."""

    dates: tuple[date, ...] = ()


@dataclass(frozen=True, slots=True)
class BookedFrom:
    """Every day already materialized, from ``first`` on (a change to the doctor's weekly slots)."""

    first: date


@dataclass(frozen=True, slots=True)
class OfToken:
    """The day of the doctor's token named by id or token number (the shell finds it)."""

    token_ref: str


DaysNeeded = OnDates | BookedFrom | OfToken


class MaybeDated(Protocol):
    @property
    def date(self) -> date | None: ...


class Dated(Protocol):
    @property
    def date(self) -> date: ...


class AboutAToken(Protocol):
    @property
    def token_id(self) -> str: ...


def no_day(command: CommandBase[object], today: date) -> DaysNeeded:
    return OnDates()


def requested_day(command: CommandBase[MaybeDated], today: date) -> DaysNeeded:
    """The payload's date, else today."""
    return OnDates((command.payload.date or today,))


def given_day(command: CommandBase[Dated], today: date) -> DaysNeeded:
    return OnDates((command.payload.date,))


def booked_from_today(command: CommandBase[object], today: date) -> DaysNeeded:
    return BookedFrom(today)


def day_of_token(command: CommandBase[AboutAToken], today: date) -> DaysNeeded:
    return OfToken(command.payload.token_id)
