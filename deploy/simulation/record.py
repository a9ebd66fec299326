"""What a played OPD day leaves behind, in one shape for the live scenario and the stochastic day alike.

Summary figures, freed-seat accounting and the HTML charts are computed from these records only.
"""

from dataclasses import dataclass, field
from datetime import datetime

FINAL_STATES = ("completed", "cancelled", "no_show")


@dataclass(frozen=True, slots=True)
class SlotSheet:
    """One dated slot as the schedule shows it at the end of the run."""

    label: str  # "09:00-10:00"
    starts_at: datetime
    ends_at: datetime
    capacity: int
    reserved: int
    seats_used: int
    overflow_used: bool
    waitlist: int
    status: str


@dataclass(frozen=True, slots=True)
class DoctorSheet:
    key: str  # how records name the doctor (its id in the live run, its code in the stochastic day)
    code: str  # D1, D2, ...
    name: str
    specialization: str
    slots: tuple[SlotSheet, ...]

    @property
    def session_minutes(self) -> float:
        """Minutes the doctor is scheduled to see patients (cancelled slots excluded)."""
        return sum((s.ends_at - s.starts_at).total_seconds() / 60 for s in self.slots if s.status != "cancelled")


@dataclass(frozen=True, slots=True)
class TokenFact:
    """One token at the end of the day, with the instants that matter for waits and queues."""

    doctor: str  # DoctorSheet.key
    number: str  # token number, e.g. D1-20260105-T007
    source: str
    status: str
    slot: str
    arrived_at: datetime | None  # checked in (the last time, for a late arrival)
    called_at: datetime | None
    completed_at: datetime | None
    ended_at: datetime | None = None  # cancelled or marked no-show at


@dataclass(frozen=True, slots=True)
class TokenEvent:
    """A token event as the allocator published it: the token's status and slot after it."""

    at: datetime
    doctor: str
    type: str  # e.g. token.promoted
    token: str  # token number
    status: str
    slot: str
    eta: datetime | None = None  # the estimated time the event carried
    messaged: bool = False  # the patient got a message for it (stochastic day: the notifier has one for its type)


@dataclass(slots=True)
class DayRecord:
    doctors: list[DoctorSheet]
    tokens: list[TokenFact]
    events: list[TokenEvent]
    notifications: int  # delivered to the sink (live) or that the notifier's templates would send (stochastic)
    turned_away: int = 0  # patients who got no token at all (no seat and no waitlist, no slot left)
    day_update: datetime | None = None  # when the day-of update goes out (stochastic day), for the ETA accuracy
    notes: dict[str, str] = field(default_factory=dict)  # how the figures were obtained, shown with them

    def capacities(self) -> dict[tuple[str, str], int]:
        """Seats of every slot, by (doctor key, slot label)."""
        return {(doctor.key, slot.label): slot.capacity for doctor in self.doctors for slot in doctor.slots}
