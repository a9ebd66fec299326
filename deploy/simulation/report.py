"""Printing the live scenario: timeline, schedules, tokens, summary, one patient's messages, checks."""

from typing import Any

from deploy.simulation.scenario import FOLLOWED, PHONES, Outcome
from deploy.simulation.summary import Summary, rows, table


def schedule_lines(schedules: list[dict[str, Any]]) -> list[str]:
    lines = []
    for schedule in schedules:
        doctor = schedule["doctor"]
        lines.append(f"  {doctor['code']} {doctor['name']} ({doctor['specialization']}, room {doctor['room']})")
        for slot in schedule["slots"]:
            lines.append(
                f"    {slot['startTime']}-{slot['endTime']}  seats {slot['currentCount']}/{slot['maxCapacity']}"
                f"  reserved {slot['reservedEmergencySlots']}  overflow {'used' if slot['overflowUsed'] else 'free'}"
                f"  waitlist {slot['waitlistCount']}  {slot['status']}"
            )
    return lines


def notifications_label(notes: list[dict[str, Any]] | None) -> str:
    return "notifications delivered to the sink" if notes is not None else "notifications (no sink given)"


def print_report(
    outcome: Outcome,
    timeline: list[str],
    summary: Summary,
    checks: dict[str, bool],
    notes: list[dict[str, Any]] | None,
) -> None:
    print("Timeline (clock, event, doctor, token, what changed, who was told)")
    if notes is None:
        print("  (no webhook sink: who was told is not known)")
    print("\n".join(timeline))
    print("\nSchedules")
    print("\n".join(schedule_lines(outcome.schedules)))
    print("\nTokens")
    for token in sorted(outcome.tokens.values(), key=lambda t: t["tokenNumber"]):
        print(f"  {token['tokenNumber']:<20} {token['source']:<9} {token['status']}")
    print("\nSummary")
    print(table(rows(summary, notifications_label(notes))))
    if notes is not None:
        followed = [note for note in notes if note["to"] == PHONES[FOLLOWED]]
        print(f"\nMessages to one patient ({FOLLOWED}, Hindi, by phone through the webhook sink):")
        for note in followed:
            print(f"  {note['eventType']:<20} {note['text']}")
    print("\nChecks")
    for name, passed in checks.items():
        print(f"  [{'ok' if passed else 'FAILED'}] {name}")
