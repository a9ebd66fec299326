"""What one ETA walk is: the call order it timed, when each call is due and the paces it used (kept on the day)."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple

from allocator.domain.model import Slot, Token

Call = tuple[Token, Slot]  # a patient the doctor will call, with their slot


class Pace(NamedTuple):
    """What one walk needs of a slot."""

    earliest: datetime  # nobody is due before this: slot start, now, the doctor's return
    consult: timedelta  # one consultation


Origin = tuple[datetime, Pace]  # when the patient in consultation was called, at their slot's pace


@dataclass(slots=True)
class Walk:
    """One walk of a day: the call order it timed, whether each patient was here, when each call is due (exact,
    before rounding to the minute told), the paces it used, and the share of a consultation an absent patient
    counted for."""

    serving: Token | None
    origin: Origin | None
    calls: list[Call]
    here: list[bool]
    dues: list[datetime]
    paces: dict[Slot, Pace]
    firsts: dict[Slot, int]  # each slot's first position in ``calls``, in call order
    show_chance: float
