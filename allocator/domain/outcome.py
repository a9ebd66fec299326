"""What a handler answers: the reply body as clients read it (one of ``answers``), and whether colleagues should be
suggested.

The state it changed and the events it drafted are in the workspace's change set, where the shell takes them.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from allocator.domain.answers import Answer
from shared.contracts.values import TokenSource
from shared.errors import ErrorCode, Rejection


@dataclass(frozen=True, slots=True)
class AlternativesWanted:
    """Suggest colleagues of ``doctor_id`` with a seat for ``source`` on ``day`` (the shell reads their seats)."""

    doctor_id: UUID
    day: date
    source: TokenSource


@dataclass(frozen=True, slots=True)
class Outcome:
    """A handler's answer: ``body`` is the reply's result; with ``alternatives``, ``suggestedDoctors`` joins it."""

    body: Answer
    alternatives: AlternativesWanted | None = None


class NoSeat(Rejection):
    """A refusal for want of a seat: the reply's details get the colleagues who have one (``suggestedDoctors``)."""

    def __init__(self, alternatives: AlternativesWanted, code: ErrorCode, message: str, **details: Any) -> None:
        super().__init__(code, message, **details)
        self.alternatives = alternatives
