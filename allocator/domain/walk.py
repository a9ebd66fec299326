"""What one ETA walk is: the call order it timed, each call's ETA and the paces it used (kept on the day)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from allocator.domain.model import Slot, Token

Call = tuple[Token, Slot]  # a patient the doctor will call, with their slot


class Pace(NamedTuple):
    """What one walk needs of a slot."""

    earliest: datetime  # nobody is due before this: slot start, now, the doctor's return
    first: datetime  # ``earliest`` as an ETA
    consult: timedelta  # one consultation
    consult_up: timedelta  # one consultation rounded up to whole minutes


Origin = tuple[datetime, Pace]  # when the patient in consultation was called, at their slot's pace


@dataclass(slots=True)
class Walk:
    """One walk of a day: the call order it timed, each call's ETA, and the paces it used."""

    serving: Token | None
    origin: Origin | None
    calls: list[Call]
    etas: list[datetime]
    paces: dict[Slot, Pace]
    firsts: dict[Slot, int]  # each slot's first position in ``calls``, in call order
