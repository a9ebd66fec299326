"""The original scenario: 3 doctors, 15 regular patients, 1 emergency, cancellations, no-shows, reallocation.

Every step goes through the public REST API; the timeline shows what the system decided.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from deploy.simulation.client import ApiError, OpdClient
from shared.clock import Clock

ALL_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DOCTORS = [("Dr. Mehta", "Cardiology", "101"), ("Dr. Rao", "Orthopedics", "102"), ("Dr. Iyer", "Pediatrics", "103")]
# (doctor index, name, age, source, wants the first slot)
PATIENTS = [
    (0, "Asha Verma", 34, "online", True),
    (0, "Ravi Kumar", 61, "walkin", True),
    (0, "Meena Shah", 45, "followup", True),
    (0, "Arjun Das", 29, "walkin", True),
    (0, "Kavita Rao", 52, "priority", True),
    (0, "Sunil Jain", 70, "online", True),
    (0, "Pooja Nair", 38, "walkin", True),
    (1, "Imran Khan", 41, "online", False),
    (1, "Lata Joshi", 66, "followup", False),
    (1, "Vikram Singh", 35, "walkin", False),
    (1, "Neha Gupta", 27, "priority", False),
    (1, "Deepak Roy", 58, "walkin", False),
    (2, "Aarav Patel", 6, "online", False),
    (2, "Diya Menon", 9, "walkin", False),
    (2, "Kabir Ali", 4, "followup", False),
]


# The patient whose messages the report follows: reachable by phone, reading Hindi.
FOLLOWED = "Sunil Jain"
CONTACTS = {FOLLOWED: {"phone": "+91 98200 00006", "language": "hi"}}


@dataclass
class Timeline:
    clock: Clock
    zone: ZoneInfo
    lines: list[str] = field(default_factory=list)

    def add(self, what: str, detail: str) -> None:
        line = f"{self.clock.now().astimezone(self.zone):%H:%M}  {what:<11} {detail}"
        self.lines.append(line)
        print(line, flush=True)


def _token_line(token: dict[str, Any]) -> str:
    place = (
        f"position {token['position']}, eta {token['estimatedTime'][11:16]}"
        if token["status"] == "confirmed"
        else f"waitlist #{token['waitlistPosition']}"
    )
    slot = f"{token['timeSlot']['startTime']}-{token['timeSlot']['endTime']}"
    return f"{token['shortNumber']} ({token['source']}) → {token['status']} in {slot}, {place}"


def queue_line(live: dict[str, Any]) -> str:
    """One doctor's live queue as a line: who is in, who is next and when, who waits for a seat."""
    serving = live["nowServing"]["shortNumber"] if live["nowServing"] else "-"
    upcoming = ", ".join(f"{t['shortNumber']} {t['estimatedTime'][11:16]}" for t in live["next"][:3]) or "-"
    pace = f"{live['consultMinutes']} min" if live["consultMinutes"] else "planned"
    return (
        f"now {serving} | next {upcoming} | waiting {live['counts']['waiting']} "
        f"(checked in {live['counts']['checkedIn']}) | waitlist {len(live['waitlist'])} | done "
        f"{live['counts']['completed']} | pace {pace} | late {live['delayMinutes']} min"
    )


async def _morning(
    client: OpdClient, clock: Clock, timeline: Timeline, doctor: dict[str, Any], first: datetime
) -> str | None:
    """The first doctor's morning: arrivals, a late start, consultations called one after another."""
    waiting = [t for t in await client.tokens(doctor["id"]) if t["status"] == "confirmed"]
    for token in waiting[:-1]:  # the last one has not arrived yet
        await client.check_in(token["id"])
    timeline.add("CHECK-IN", f"{doctor['name']}: {len(waiting) - 1} of {len(waiting)} patients arrived")
    await client.delay(doctor["id"], 10, "ward round ran over")
    timeline.add("LATE", f"{doctor['name']} starts 10 minutes late; every waiting patient told")
    timeline.add("QUEUE", queue_line(await client.queue(doctor["id"])))
    await _wait_until(clock, first + timedelta(minutes=10))
    first_called = None
    for _ in range(4):
        called = await client.call_next(doctor["id"])
        if called["nowServing"] is None:
            break
        first_called = first_called or called["nowServing"]["tokenNumber"]
        timeline.add("CALL", f"{called['nowServing']['shortNumber']} please proceed to room {doctor['room']}")
        timeline.add("QUEUE", queue_line(await client.queue(doctor["id"])))
        await _wait_until(clock, clock.now() + timedelta(minutes=7))
    return first_called


@dataclass
class Outcome:
    doctors: list[dict[str, Any]]
    tokens: dict[str, dict[str, Any]]
    checks: dict[str, bool]


async def _wait_until(clock: Clock, instant: datetime) -> None:
    """Poll the simulated clock: it is a function of wall time, nothing signals it."""
    while clock.now() < instant:  # noqa: ASYNC110
        await asyncio.sleep(0.05)


def first_slot_start(now: datetime, clock_speed: float) -> datetime:
    """A fast clock books before the first slot and waits for it; a real one starts it 5 minutes ago."""
    lead = timedelta(minutes=10) if clock_speed >= 30 else timedelta(minutes=-20)
    first = (now + lead).replace(second=0, microsecond=0)
    return first + timedelta(minutes=(-first.minute) % 15)


async def run(client: OpdClient, clock: Clock, clock_speed: float, zone: ZoneInfo, timeline: Timeline) -> Outcome:
    first = first_slot_start(clock.now().astimezone(zone), clock_speed)
    second = first + timedelta(hours=1)
    slots = [
        {"startTime": f"{first:%H:%M}", "endTime": f"{second:%H:%M}", "maxCapacity": 4, "reservedEmergencySlots": 1},
        {
            "startTime": f"{second:%H:%M}",
            "endTime": f"{second + timedelta(hours=1):%H:%M}",
            "maxCapacity": 4,
            "reservedEmergencySlots": 1,
        },
    ]
    doctors = []
    for name, specialization, room in DOCTORS:
        doctor = await client.create_doctor(
            name=name, specialization=specialization, room=room, timeSlots=slots, workingDays=ALL_DAYS
        )
        doctors.append(doctor)
        timeline.add("DOCTOR", f"{name} ({specialization}), slots {slots[0]['startTime']}-{slots[1]['endTime']}")

    tokens: dict[str, dict[str, Any]] = {}
    for index, name, age, source, wants_first in PATIENTS:
        doctor = doctors[index]
        booking: dict[str, Any] = {"doctorId": doctor["id"], "patientName": name, "patientAge": age, "source": source}
        booking.update(CONTACTS.get(name, {}))
        if wants_first:
            booking["timeSlot"] = f"{slots[0]['startTime']}-{slots[0]['endTime']}"
        token = (await client.book(**booking))["data"]
        tokens[token["id"]] = token
        timeline.add("BOOK", f"{doctor['name']}: {name} {_token_line(token)}")

    try:
        await client.book(doctorId=doctors[0]["id"], patientName="Asha  verma", patientAge=34, source="walkin")
    except ApiError as refused:
        timeline.add("DUPLICATE", f"Asha Verma again → {refused.status} {refused.body['code']}")

    emergency = (await client.emergency(doctorId=doctors[0]["id"], patientName="Rahul Bose", patientAge=48))["data"]
    tokens[emergency["id"]] = emergency
    timeline.add("EMERGENCY", f"{doctors[0]['name']}: Rahul Bose {_token_line(emergency)}")

    confirmed = [t for t in tokens.values() if t["doctorId"] == doctors[0]["id"] and t["status"] == "confirmed"]
    regular = [t for t in confirmed if not t["isEmergency"]]
    for token in regular[:2]:
        result = await client.cancel(token["id"], "patient cancelled by phone")
        timeline.add("CANCEL", f"{token['shortNumber']} cancelled; seat freed: {result['seatFreed']}")

    await _wait_until(clock, first + timedelta(minutes=5))
    timeline.add("SLOT START", f"{slots[0]['startTime']} slots open; reserved seats released to the waitlist")
    listing = await client.tokens(doctors[0]["id"])
    missing = next(t for t in listing if t["status"] == "confirmed" and not t["isEmergency"])
    await client.no_show(missing["id"])
    timeline.add("NO-SHOW", f"{missing['shortNumber']} did not arrive; seat freed")
    for doctor in doctors:
        result = (await client.reallocate(doctor["id"]))["data"]
        timeline.add("REALLOCATE", f"{doctor['name']}: promoted {result['promoted'] or 'nobody'}")

    first_called = await _morning(client, clock, timeline, doctors[0], first)

    final = {t["id"]: t for doctor in doctors for t in await client.tokens(doctor["id"])}
    schedules = [await client.schedule(doctor["id"]) for doctor in doctors]
    emergency_final = final[emergency["id"]]
    checks = {
        "every patient has a token with a state": len(final) == len(PATIENTS) + 1,
        "the emergency is seen first in its slot": first_called == emergency_final["tokenNumber"],
        "no seat left free while patients wait": all(
            slot["waitlistCount"] == 0 or slot["regularSeatsLeft"] == 0
            for schedule in schedules
            for slot in schedule["slots"]
            if slot["status"] != "completed"
        ),
        "capacity never exceeded beyond the +1 overflow": all(
            slot["currentCount"] <= slot["maxCapacity"] + 1 for schedule in schedules for slot in schedule["slots"]
        ),
    }
    return Outcome(doctors=schedules, tokens=final, checks=checks)
