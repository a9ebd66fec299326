"""Why a token changed, as a code with parameters: each reader renders it in its own language.

Events keep the English ``reason`` text beside the code for staff screens and for readers that know only the text;
patient messages are built from ``reasonCode`` and ``reasonParams`` alone, so they never carry another patient's
token number or a member of staff's free text.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ReasonCode(StrEnum):
    QUEUE_CHANGED = "queue_changed"  # patients added, seen, re-queued: the order or the pace moved
    EMERGENCY_ADDED = "emergency_added"
    SEAT_FREED = "seat_freed"  # another patient cancelled or did not come
    CANCELLED_ON_REQUEST = "cancelled_on_request"
    SLOT_ENDED = "slot_ended"  # params: slot ("10:00-11:00", the slot whose waitlist the token joined)
    NO_SLOT_LEFT = "no_slot_left"
    NOT_ARRIVED = "not_arrived"  # the desk found the patient absent after the slot started
    NOT_CHECKED_IN = "not_checked_in"  # params: at (ISO instant of the deadline)
    CALLED_TWICE = "called_twice"
    ARRIVED_LATE = "arrived_late"
    RECALLED = "recalled"  # params: patients (how many go first)
    DOCTOR_LATE = "doctor_late"  # params: minutes
    DOCTOR_UNAVAILABLE = "doctor_unavailable"
    SCHEDULE_CHANGED = "schedule_changed"


ReasonParams = dict[str, str | int]


@dataclass(frozen=True, slots=True)
class Cause:
    """A reason as the allocator states it: the code and parameters patients read, the English text staff read.
    Without a code, the text is a note for staff only (e.g. "you are next" on the event that says so)."""

    code: ReasonCode | None
    text: str
    params: ReasonParams = field(default_factory=dict)

    def fields(self) -> dict[str, Any]:
        """The event payload's reason fields."""
        return {"reason": self.text, "reason_code": self.code, "reason_params": self.params}
