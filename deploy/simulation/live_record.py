"""The live scenario's outcome in the common record shape (``record``): schedules and tokens as the gateway shows
them, token events as the live feed carried them, notifications as the webhook sink received them."""

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from deploy.simulation.record import DayRecord, DoctorSheet, SlotSheet, TokenEvent, TokenFact
from deploy.simulation.scenario import Outcome
from deploy.simulation.views import slot_label


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def token_events(feed: list[dict[str, Any]], told: frozenset[str] = frozenset()) -> list[TokenEvent]:
    """The feed's token events; ``told``: the ids of the events the sink got a message for."""
    return [
        TokenEvent(
            at=datetime.fromisoformat(event["occurredAt"]),
            doctor=event["doctorId"],
            type=event["type"],
            token=event["token"]["tokenNumber"],
            status=event["token"]["status"],
            slot=slot_label(event["token"]),
            eta=_instant(event["token"].get("estimatedTime")),
            messaged=event["eventId"] in told,
        )
        for event in feed
        if "token" in event
    ]


def _sheet(schedule: dict[str, Any], zone: ZoneInfo) -> DoctorSheet:
    doctor = schedule["doctor"]
    slots = []
    for slot in schedule["slots"]:
        day = date.fromisoformat(slot["date"])
        slots.append(
            SlotSheet(
                label=f"{slot['startTime']}-{slot['endTime']}",
                starts_at=datetime.combine(day, time.fromisoformat(slot["startTime"]), zone),
                ends_at=datetime.combine(day, time.fromisoformat(slot["endTime"]), zone),
                capacity=slot["maxCapacity"],
                reserved=slot["reservedEmergencySlots"],
                seats_used=slot["currentCount"],
                overflow_used=slot["overflowUsed"],
                waitlist=slot["waitlistCount"],
                status=slot["status"],
            )
        )
    return DoctorSheet(doctor["id"], doctor["code"], doctor["name"], doctor["specialization"], tuple(slots))


def live_record(outcome: Outcome, notes: list[dict[str, Any]] | None, zone: ZoneInfo) -> DayRecord:
    events = token_events(outcome.feed, frozenset(str(note.get("eventId")) for note in notes or ()))
    ended = {e.token: e.at for e in events if e.status in ("cancelled", "no_show")}
    tokens = [
        TokenFact(
            doctor=token["doctorId"],
            number=token["tokenNumber"],
            source=token["source"],
            status=token["status"],
            slot=slot_label(token),
            arrived_at=_instant(token["checkedInAt"]),
            called_at=_instant(token["calledAt"]),
            completed_at=_instant(token["completedAt"]),
            ended_at=ended.get(token["tokenNumber"]),
        )
        for token in outcome.tokens.values()
    ]
    delivered = {note["notificationId"] for note in notes or ()}
    return DayRecord(
        doctors=[_sheet(schedule, zone) for schedule in outcome.schedules],
        tokens=tokens,
        events=events,
        notifications=len(delivered),
        notes={"notifications": "messages the webhook sink received" if notes is not None else "no sink given"},
    )
