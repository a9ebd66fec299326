"""What the original scenario must show, checked on what the services reported."""

from datetime import datetime
from typing import Any

from deploy.simulation.freed import freed_seats
from deploy.simulation.record import FINAL_STATES, DayRecord
from deploy.simulation.scenario import Outcome


def _emergency_first(outcome: Outcome) -> bool:
    """The emergency was the first patient called in its slot."""
    tokens = list(outcome.tokens.values())
    emergency = next(t for t in tokens if t["tokenNumber"] == outcome.emergency)
    peers = [
        datetime.fromisoformat(t["calledAt"])
        for t in tokens
        if t["doctorId"] == emergency["doctorId"] and t["timeSlot"] == emergency["timeSlot"] and t["calledAt"]
    ]
    return emergency["calledAt"] is not None and datetime.fromisoformat(emergency["calledAt"]) == min(peers)


def _no_free_seat_while_waiting(schedules: list[dict[str, Any]]) -> bool:
    return all(
        slot["waitlistCount"] == 0 or slot["regularSeatsLeft"] == 0
        for schedule in schedules
        for slot in schedule["slots"]
        if slot["status"] != "completed"
    )


def scenario_checks(outcome: Outcome, record: DayRecord, notes: list[dict[str, Any]] | None) -> dict[str, bool]:
    """Check name (with its counts) → passed. The sink check is left out when no sink was given."""
    tokens = list(outcome.tokens.values())
    final = sum(1 for t in tokens if t["status"] in FINAL_STATES)
    waiting = [seat for seat in freed_seats(record.events, record.capacities()) if seat.waiting]
    refilled = sum(1 for seat in waiting if seat.refilled_by)
    checks = {
        f"every patient has a final state ({final} of {outcome.patients} tokens)": (
            len(tokens) == outcome.patients and final == len(tokens)
        ),
        "the emergency was seen first in its slot": _emergency_first(outcome),
        f"every freed seat with a waiting patient was refilled ({refilled} of {len(waiting)})": (
            bool(waiting) and refilled == len(waiting)
        ),
        "no seat left free while patients wait (after the reallocation)": _no_free_seat_while_waiting(outcome.midday),
        "capacity never exceeded beyond the +1 overflow": all(
            slot["currentCount"] <= slot["maxCapacity"] + 1 for s in outcome.schedules for slot in s["slots"]
        ),
    }
    if notes is not None:
        promoted = {e["eventId"] for e in outcome.feed if e["type"] == "token.promoted"}
        told = promoted & {note["eventId"] for note in notes}
        checks[f"every promoted patient was notified through the sink ({len(told)} of {len(promoted)})"] = (
            bool(promoted) and told == promoted
        )
    return checks
