"""REST bodies with the original system's keys and fields, built from our views (docs/compatibility.md).

A body names what it carries (``doctor``, ``doctors``, ``token``, ``tokens``, ``slots``…), never a generic
``data``; every object with an ``id`` also has it as ``_id``. Pure functions: the routes read, these shape.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from shared.contracts.views import DoctorView, SlotView, TokenView
from shared.ids import weekly_slot_id

JSON = dict[str, Any]

# The original's success messages, and ours for the writes it did not have.
MESSAGES = {
    "CreateDoctor": "Doctor created successfully",
    "UpdateDoctorSlots": "Doctor slots updated successfully",
    "BookToken": "Token created successfully",
    "AddEmergency": "Emergency token created successfully",
    "CancelToken": "Token cancelled successfully",
    "MarkNoShow": "Marked as no show",
    "Reallocate": "Tokens reallocated successfully",
    "CheckIn": "Checked in",
    "CompleteToken": "Consultation completed",
    "RecallToken": "Recalled",
    "CallNext": "Next patient called",
    "DelayDoctor": "Delay recorded",
    "MarkDoctorUnavailable": "Doctor marked unavailable",
}
TOKEN_KEYS = ("token", "completed", "nowServing", "upNext")  # reply fields that hold a token view
CREATING = frozenset({"BookToken", "AddEmergency"})


@dataclass(frozen=True, slots=True)
class SlotToday:
    """The dated slot today at a weekly slot's time: seats taken, and whether it is cancelled."""

    taken: int
    cancelled: bool


@dataclass(frozen=True, slots=True)
class DoctorFacts:
    """What a doctor document needs beyond the view: when it was created, and today's slots by ``HH:MM`` start."""

    created_at: datetime
    today: Mapping[str, SlotToday]


def with_id(body: JSON) -> JSON:
    """``_id`` beside ``id``, as the original's MongoDB documents carried it."""
    return {"_id": body["id"], **body}


def doctor(view: DoctorView, facts: DoctorFacts) -> JSON:
    """A doctor; each weekly slot with its own id, today's ``currentCount`` and ``isActive`` (not cancelled today)."""
    body = view.model_dump(mode="json")
    weekly = []
    for template in body["timeSlots"]:
        today = facts.today.get(template["startTime"], SlotToday(0, False))
        ident = str(weekly_slot_id(view.id, template["startTime"]))
        weekly.append(
            {"_id": ident, "id": ident, **template, "currentCount": today.taken, "isActive": not today.cancelled}
        )
    return with_id({**body, "timeSlots": weekly, "createdAt": facts.created_at.isoformat()})


def doctor_ref(view: DoctorView) -> JSON:
    """A token's ``doctorId`` expanded as the original populated it: ``{_id, name, specialization}``."""
    return with_id({"id": str(view.id), "name": view.name, "specialization": view.specialization})


def slot(view: SlotView, seated: list[UUID]) -> JSON:
    """A dated slot with the ids of the tokens holding its seats (``currentCount`` of them)."""
    return with_id({**view.model_dump(mode="json"), "tokens": [str(token_id) for token_id in seated]})


def token(body: JSON) -> JSON:
    """A token with ``actualTime``: when the patient was called in (``calledAt``), else null."""
    return with_id({**body, "actualTime": body.get("calledAt")})


def token_of(view: TokenView) -> JSON:
    """A token document from the view."""
    return token(view.model_dump(mode="json"))


def listed_token(view: TokenView, doctor_id: JSON) -> JSON:
    """A token of a doctor's list: ``doctorId`` is the doctor itself, as in the original."""
    return {**token_of(view), "doctorId": doctor_id}


def wait_minutes(estimated_time: str | None, now: datetime) -> int | None:
    """Minutes from now to the estimated time; null while the token waits for a seat."""
    if estimated_time is None:
        return None
    return max(0, round((datetime.fromisoformat(estimated_time) - now).total_seconds() / 60))


def _suggested_slot(item: JSON) -> JSON:
    start, end = item["timeSlot"].split("-")
    return {**item, "startTime": start, "endTime": end}


def hints(details: JSON) -> JSON:
    """Reply details for REST: suggestions under the original's names, ``suggestedSlots`` and ``suggestedDoctors``
    (each doctor with ``_id``), and a duplicate's ``existingToken`` as a token document."""
    shaped = dict(details)
    if "suggestions" in shaped:
        shaped["suggestedSlots"] = [_suggested_slot(item) for item in shaped.pop("suggestions").get("slots", [])]
    if isinstance(shaped.get("existingToken"), dict):
        shaped["existingToken"] = token(shaped["existingToken"])
    if "suggestedDoctors" in shaped:
        shaped["suggestedDoctors"] = [{"_id": d["doctorId"], **d} for d in shaped["suggestedDoctors"]]
    return shaped


def reallocation_stats(result: JSON) -> JSON:
    """The original's counts: tokens given a seat or moved on, tokens that found no slot, tokens looked at."""
    return {
        "reallocatedCount": len({*result.get("promoted", []), *result.get("moved", [])}),
        "failedCount": len(result.get("cancelled", [])),
        "totalTokens": result.get("activeTokens", 0),
    }


def answer(command_type: str, result: JSON, now: datetime, facts: DoctorFacts | None = None) -> JSON:
    """A write's success body: the message, the reply's fields with tokens and doctors as documents.

    ``facts`` are needed when the reply carries a whole doctor (create, update slots).
    """
    body = hints(result)
    for key in TOKEN_KEYS:
        if isinstance(body.get(key), dict):
            body[key] = token(body[key])
    if command_type in CREATING and "token" in body:
        body["token"]["estimatedWaitTime"] = wait_minutes(body["token"].get("estimatedTime"), now)
    if "doctor" in body:
        found = body["doctor"]
        body["doctor"] = doctor(DoctorView.model_validate(found), facts) if facts else with_id(found)
    if command_type == "Reallocate":
        body["stats"] = reallocation_stats(result)
    return {"message": MESSAGES[command_type], **body}
