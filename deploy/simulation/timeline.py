"""The scenario's timeline: clock time, event, token, what changed, who was told.

Built after the run from what the services reported: each step's REST answer, the live feed's events (the chain
reactions nobody asked for directly: promotions, moves, new ETAs, the clock's no-shows) and the messages the
webhook sink received for those events. Nothing is inferred from the scenario's own expectations.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from deploy.simulation.scenario import Action
from deploy.simulation.views import hhmm, token_line

LABELS = {
    "token.promoted": "PROMOTED",
    "token.moved": "MOVED",
    "token.eta_changed": "ETA",
    "token.no_show": "NO-SHOW",
    "token.cancelled": "CANCELLED",
    "token.waitlisted": "WAITLISTED",
    "token.confirmed": "CONFIRMED",
}
SLACK = timedelta(minutes=1)  # an event is never earlier than the step that caused it (same clock everywhere)


def at_of(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["occurredAt"])


def short(token_number: str) -> str:
    return token_number.rsplit("-", 1)[-1]


def _system_line(kind: str, events: list[dict[str, Any]], zone: ZoneInfo) -> tuple[str, str]:
    """(token column, what changed) for events of one type at one instant that no step asked for directly."""
    first = events[0]
    because = f" ({first['reason']})" if first.get("reason") else ""
    if kind == "token.eta_changed":
        moves = [
            f"{e['token']['shortNumber']} {hhmm(e.get('previousEstimatedTime'), zone)}→"
            f"{hhmm(e['token'].get('estimatedTime'), zone)}"
            for e in events
        ]
        return "", "new times: " + ", ".join(moves) + because
    if kind == "token.no_show":
        changed = "the clock: not checked in by the end of the slot and the grace → no-show"
    else:
        places = [token_line(e["token"], zone) for e in events]
        if len(events) > 1:
            places = [f"{e['token']['shortNumber']} {place}" for e, place in zip(events, places, strict=True)]
        changed = ("from the waitlist: " if kind == "token.promoted" else "") + "; ".join(places) + because
    return " ".join(e["token"]["shortNumber"] for e in events), changed


class _Claims:
    """Feed events, each claimed at most once by the step that caused it."""

    def __init__(self, feed: Sequence[dict[str, Any]]) -> None:
        self.events = [event for event in feed if "token" in event]
        self.claimed: set[int] = set()

    def take(self, action: Action) -> list[dict[str, Any]]:
        taken: list[dict[str, Any]] = []
        for kinds, number in action.causes:
            for index, event in enumerate(self.events):
                if index in self.claimed or event["type"] not in kinds or event["doctorId"] != action.doctor_id:
                    continue
                if at_of(event) < action.at - SLACK:
                    continue
                if number is not None and event["token"]["tokenNumber"] != number:
                    continue
                if number is None and taken and at_of(event) != at_of(taken[-1]):
                    break  # "all of them": those the step caused, at its instant
                self.claimed.add(index)
                taken.append(event)
                if number is not None:
                    break
        return taken

    def rest(self) -> list[dict[str, Any]]:
        return [event for index, event in enumerate(self.events) if index not in self.claimed]


def build(
    actions: Sequence[Action],
    feed: Sequence[dict[str, Any]],
    notes: Sequence[dict[str, Any]] | None,
    codes: dict[str, str],
    zone: ZoneInfo,
) -> list[str]:
    """The lines, in clock order; ``notes`` (the sink's) None leaves out who was told."""
    told: dict[str, set[str]] = {}
    for note in notes or ():
        told.setdefault(note["eventId"], set()).add(short(note["tokenNumber"]))

    def told_of(events: Sequence[dict[str, Any]]) -> str:
        if notes is None or not events:
            return ""
        who = sorted({number for event in events for number in told.get(event["eventId"], ())})
        return f"  | told {', '.join(who) if who else '-'}"

    claims = _Claims(feed)
    entries: list[tuple[datetime, int, str, str, str, str, str]] = []
    for action in actions:
        caused = claims.take(action)
        code = codes[action.doctor_id]
        entries.append((action.at, len(entries), action.label, code, action.token, action.changed, told_of(caused)))
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for event in claims.rest():
        groups.setdefault((event["occurredAt"], event["doctorId"], event["type"]), []).append(event)
    for (_, doctor, kind), events in groups.items():
        token, changed = _system_line(kind, events, zone)
        label = LABELS.get(kind, kind.removeprefix("token.").upper())
        entries.append((at_of(events[0]), len(entries), label, codes.get(doctor, "?"), token, changed, told_of(events)))
    entries.sort(key=lambda entry: (entry[0], entry[1]))
    return [
        f"{at.astimezone(zone):%H:%M}  {label:<12} {code:<3} {token:<5} {changed}{who}"
        for at, _, label, code, token, changed, who in entries
    ]
