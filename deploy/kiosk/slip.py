"""The token slip a kiosk prints: what the patient needs to find the room and know when to be there."""

from datetime import datetime
from typing import Any

WIDTH = 40


def _place(token: dict[str, Any]) -> tuple[str, str]:
    if token["status"] == "confirmed":
        return "Position", f"{token['position']} in the queue"
    if token["status"] == "pending":
        return "Waitlist", f"#{token['waitlistPosition']} - you will be told when a seat frees"
    return "Status", token["status"]


def _clock(instant: str | None) -> str:
    return datetime.fromisoformat(instant).strftime("%H:%M") if instant else "-"


def token_slip(result: dict[str, Any], hospital: str = "OPD") -> str:
    """A fixed-width slip for a booking or emergency result (``{"token": ..., "doctor": ...}``)."""
    token, doctor = result["token"], result.get("doctor") or {}
    slot = token["timeSlot"]
    place, where = _place(token)
    rows = [
        ("Token", f"{token['shortNumber']}  ({token['tokenNumber']})"),
        ("Doctor", f"{doctor.get('name', '-')}, {doctor.get('specialization', '-')}"),
        ("Room", doctor.get("room") or "-"),
        ("Slot", f"{token['date']}  {slot['startTime']}-{slot['endTime']}"),
        (place, where),
        ("Expected at", _clock(token.get("estimatedTime"))),
    ]
    if token["isEmergency"]:
        rows.insert(1, ("Priority", "EMERGENCY"))
    rule = "-" * WIDTH
    body = [f"{label:<12}{value}" for label, value in rows]
    return "\n".join([rule, hospital.center(WIDTH), rule, *body, rule, f"Keep this slip. Token id {token['id']}"])


def cancellation_note(result: dict[str, Any]) -> str:
    token = result["token"]
    freed = "; the seat goes to the next waiting patient" if result.get("seatFreed") else ""
    return f"Token {token['tokenNumber']} is {token['status']}{freed}."
