"""Printing the outcome: per-doctor schedules, final token states, notifications, checks."""

from typing import Any

from deploy.simulation.scenario import FOLLOWED, Outcome


def print_report(outcome: Outcome, notifications: list[dict[str, Any]]) -> None:
    print("\nSchedules")
    for schedule in outcome.doctors:
        doctor = schedule["doctor"]
        print(f"  {doctor['name']} ({doctor['specialization']}, room {doctor['room']})")
        for slot in schedule["slots"]:
            print(
                f"    {slot['startTime']}-{slot['endTime']}  seats {slot['currentCount']}/{slot['maxCapacity']}"
                f"  reserved {slot['reservedEmergencySlots']}  overflow {'used' if slot['overflowUsed'] else 'free'}"
                f"  waitlist {slot['waitlistCount']}  {slot['status']}"
            )
    print("\nTokens")
    for token in sorted(outcome.tokens.values(), key=lambda t: t["tokenNumber"]):
        eta = token["estimatedTime"][11:16] if token.get("estimatedTime") else "-"
        print(f"  {token['tokenNumber']:<20} {token['source']:<9} {token['status']:<10} eta {eta}")
    print(f"\nNotifications recorded: {len(notifications)}")
    followed = [note for note in notifications if note["patient_name"] == FOLLOWED]
    print(f"Messages to one patient ({FOLLOWED}, Hindi, by phone and log):")
    for note in followed:
        print(f"  {note['event_type']:<20} {note['channel']:<8} {note['status']:<10} {note['message']}")
    print("\nChecks")
    for name, passed in outcome.checks.items():
        print(f"  [{'ok' if passed else 'FAILED'}] {name}")
