"""How the API's token and queue views read in the timeline: clock times in the hospital's zone."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


def slot_label(view: dict[str, Any]) -> str:
    return f"{view['timeSlot']['startTime']}-{view['timeSlot']['endTime']}"


def hhmm(instant: str | None, zone: ZoneInfo) -> str:
    """An ISO instant from the API as the hospital's clock time."""
    return f"{datetime.fromisoformat(instant).astimezone(zone):%H:%M}" if instant else "-"


def token_line(token: dict[str, Any], zone: ZoneInfo) -> str:
    """Where a token stands: seat and ETA, or place on the waitlist."""
    if token["status"] == "confirmed":
        return f"confirmed in {slot_label(token)}, #{token['position']}, eta {hhmm(token.get('estimatedTime'), zone)}"
    if token["status"] == "pending":
        return f"waitlisted in {slot_label(token)}, #{token['waitlistPosition']}"
    return f"{token['status'].replace('_', '-')} ({slot_label(token)})"


def queue_line(live: dict[str, Any], zone: ZoneInfo) -> str:
    """One doctor's live queue as a line: who is in, who is next and when, who waits for a seat."""
    serving = live["nowServing"]["shortNumber"] if live["nowServing"] else "-"
    upcoming = ", ".join(f"{t['shortNumber']} {hhmm(t['estimatedTime'], zone)}" for t in live["next"][:3]) or "-"
    pace = f"{live['consultMinutes']} min" if live["consultMinutes"] else "planned"
    return (
        f"now {serving} | next {upcoming} | waiting {live['counts']['waiting']} "
        f"(checked in {live['counts']['checkedIn']}) | waitlist {len(live['waitlist'])} | done "
        f"{live['counts']['completed']} | pace {pace} | late {live['delayMinutes']} min"
    )
