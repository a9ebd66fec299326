"""What each command answers when it succeeds: the reply's ``result`` as clients read it (camelCase JSON keys).

One shape per kind of answer, so that a handler's answer is checked key by key; the views in it are already in
their JSON form (``model_dump(mode="json")``), as they go on the wire. The shell adds ``suggestedDoctors`` where a
handler wants colleagues suggested (``Outcome.alternatives``); an entry point may add a kiosk's cancel code.
"""

from typing import Any, NotRequired, TypedDict

JsonObject = dict[str, Any]  # a view (token, doctor) in its JSON form


class Reseated(TypedDict):
    """Token numbers a schedule change moved to a later slot, put on a waitlist, or cancelled."""

    moved: list[str]
    waitlisted: list[str]
    cancelled: list[str]


class SeatSuggestions(TypedDict):
    slots: list[dict[str, object]]


class TokenIssued(TypedDict):
    """A booking or an emergency: the token and its doctor; a waitlisted booking also hears of the doctor's
    other slots that day with a seat."""

    token: JsonObject
    doctor: JsonObject
    suggestions: NotRequired[SeatSuggestions]


class TokenEnded(TypedDict):
    """A cancellation or a no-show, and whether it freed a seat."""

    token: JsonObject
    seatFreed: bool


class TokenStep(TypedDict):
    """A step of the day on one token (check-in, completion, recall), with what else it did."""

    token: JsonObject
    lateArrival: NotRequired[bool]  # a no-show who came after all, queued again
    noShow: NotRequired[bool]  # a recall that found the patient gone (twice)
    movedBehind: NotRequired[int]  # a patient running late, moved behind that many


class DoctorAnswer(TypedDict):
    """A new doctor, or new weekly slots with the days they rescheduled (by date)."""

    doctor: JsonObject
    rescheduled: NotRequired[dict[str, Reseated]]


class CallAnswer(TypedDict):
    """The desk's "next": whoever was completed, called and warned, and how many wait after the one called."""

    completed: JsonObject | None
    nowServing: JsonObject | None
    upNext: JsonObject | None
    waiting: int


class ClockAnswer(TypedDict):
    """What the clock (or an explicit reallocation) did to a day, by token number."""

    doctorId: str
    date: str
    promoted: list[str]
    moved: list[str]
    cancelled: list[str]
    noShows: list[str]
    etaNotices: int
    changed: bool
    activeTokens: NotRequired[int]  # on a reallocation: tokens waiting or seated before it


class DelayAnswer(TypedDict):
    doctorId: str
    date: str
    delayMinutes: int
    told: int  # patients whose time moved enough to tell them


class UnavailableAnswer(Reseated):
    """A doctor's absence: the slots it cancelled and what became of their tokens."""

    doctorId: str
    date: str
    cancelledSlots: list[str]
    changed: bool


Answer = (
    TokenIssued | TokenEnded | TokenStep | DoctorAnswer | CallAnswer | ClockAnswer | DelayAnswer | UnavailableAnswer
)
