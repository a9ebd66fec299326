"""The original scenario through the public REST API, on the services' clock.

3 doctors with two 45-minute slots of 4 seats (1 reserved for emergencies); 15 patients booked at the desk and in
the app, a duplicate, 1 emergency, two cancellations, a doctor starting late, a patient marked no-show who then
arrives late, reallocation, another who never comes (the clock marks him), and every consultation of the morning,
until every token has a final state.

Each step is kept as an ``Action``: when it was asked, what changed according to the answer, and which events it
caused itself. The timeline is built afterwards from these, the live feed and what the webhook sink received.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from deploy.kiosk.client import Kiosk
from deploy.simulation.client import ApiError, OpdClient
from deploy.simulation.feed import FeedListener
from deploy.simulation.record import FINAL_STATES
from deploy.simulation.views import queue_line, token_line
from shared.clock import Clock
from shared.contracts.values import TimeRange

ALL_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
DOCTORS = [("Dr. Mehta", "Cardiology", "101"), ("Dr. Rao", "Orthopedics", "102"), ("Dr. Iyer", "Pediatrics", "103")]
SLOT = timedelta(minutes=45)
CAPACITY, RESERVED = 4, 1
LATE_START = 10  # minutes Dr. Mehta starts late
NO_SHOW_ROUND = timedelta(minutes=5)  # the desk marks absent patients of the first slot this long after it starts
POLL = timedelta(minutes=1)  # how often an idle doctor looks at the queue (simulated time)
FINAL_WAIT = timedelta(minutes=15)  # how long after the grace the clock may take to settle the last tokens


@dataclass(frozen=True, slots=True)
class Patient:
    doctor: int
    name: str
    age: int
    source: str
    first_slot: bool  # asks for the first slot (else the earliest slot with a seat)
    arrives: int | None  # minutes after their slot starts (negative: early); None: never comes
    consult: int  # minutes with the doctor


PATIENTS = [
    Patient(0, "Asha Verma", 34, "online", True, -8, 9),
    Patient(0, "Ravi Kumar", 61, "walkin", True, -20, 10),
    Patient(0, "Meena Shah", 45, "followup", True, -5, 8),
    Patient(0, "Arjun Das", 29, "walkin", True, -20, 9),
    Patient(0, "Kavita Rao", 52, "priority", True, 25, 10),  # marked no-show, then arrives late
    Patient(0, "Sunil Jain", 70, "online", True, -3, 10),
    Patient(0, "Pooja Nair", 38, "walkin", True, -20, 8),
    Patient(1, "Imran Khan", 41, "online", False, -6, 9),
    Patient(1, "Lata Joshi", 66, "followup", False, -10, 7),
    Patient(1, "Vikram Singh", 35, "walkin", False, -20, 10),
    Patient(1, "Neha Gupta", 27, "priority", False, -5, 8),
    Patient(1, "Deepak Roy", 58, "walkin", False, None, 9),  # takes a later seat and never comes back
    Patient(2, "Aarav Patel", 6, "online", False, -4, 10),
    Patient(2, "Diya Menon", 9, "walkin", False, -20, 8),
    Patient(2, "Kabir Ali", 4, "followup", False, 2, 9),
]
EMERGENCY = Patient(0, "Rahul Bose", 48, "emergency", True, -20, 12)
# Everyone is reachable by phone, so the webhook sink sees every message; one patient reads Hindi.
PHONES = {patient.name: f"+91 98200 {number:05d}" for number, patient in enumerate([*PATIENTS, EMERGENCY], start=1)}
FOLLOWED = "Sunil Jain"
LANGUAGES = {FOLLOWED: "hi"}


@dataclass(frozen=True, slots=True)
class DayPlan:
    """Two consecutive slots from ``first``; the day is over once the services' no-show grace after the last slot
    has passed (``OPD_NO_SHOW_GRACE_MINUTES``: the clock then marks whoever never came)."""

    first: datetime
    grace: timedelta = timedelta(minutes=15)

    @property
    def slots(self) -> list[tuple[datetime, datetime]]:
        return [(self.first, self.first + SLOT), (self.first + SLOT, self.first + 2 * SLOT)]

    @property
    def closes(self) -> datetime:
        return self.first + 2 * SLOT + self.grace

    @classmethod
    def starting(cls, now: datetime, clock_speed: float, grace: timedelta) -> "DayPlan":
        """A fast clock books before the first slot and waits for it; a real one starts it 5 to 20 minutes ago."""
        lead = timedelta(minutes=10) if clock_speed >= 30 else timedelta(minutes=-20)
        first = (now + lead).replace(second=0, microsecond=0)
        return cls(first + timedelta(minutes=(-first.minute) % 15), grace)


@dataclass(frozen=True, slots=True)
class Action:
    """One step through the API: what was asked at ``at``, what changed, which events it caused itself."""

    at: datetime
    label: str
    doctor_id: str
    token: str  # short number, or "" when the step names no token
    changed: str
    causes: tuple[tuple[frozenset[str], str | None], ...] = ()  # (event types, token number or None: all of them)


@dataclass
class Outcome:
    doctors: list[dict[str, Any]]  # doctor views, in order
    schedules: list[dict[str, Any]]  # at the end
    midday: list[dict[str, Any]]  # after the no-shows and the reallocation
    tokens: dict[str, dict[str, Any]]  # token id -> final view
    actions: list[Action]
    feed: list[dict[str, Any]]
    emergency: str  # token number
    patients: int  # tokens the scenario expects (every patient but the duplicate)


def _kinds(*types: str) -> frozenset[str]:
    return frozenset(f"token.{kind}" for kind in types)


BOOKED = _kinds("confirmed", "waitlisted")
RECALLED = _kinds("recalled")


def _rows(page: dict[str, Any]) -> dict[str, str]:
    """A patient page's values by key (before, eta, …)."""
    return {row["key"]: row["value"] for row in page["rows"]}


@dataclass
class Scenario:
    client: OpdClient
    clock: Clock
    plan: DayPlan
    zone: ZoneInfo
    kiosk: Kiosk | None = None  # walk-ins register at a kiosk: straight to RabbitMQ
    sms_secret: str | None = None  # the SMS gateway's: patients reply by SMS (none on running services)
    step: Callable[[str], None] = lambda text: None  # told about every step (the progress bar)
    actions: list[Action] = field(default_factory=list)
    doctors: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)  # token number -> latest view
    patients: dict[str, Patient] = field(default_factory=dict)  # token number -> who
    midday: list[dict[str, Any]] = field(default_factory=list)
    pages: dict[str, str] = field(default_factory=dict)  # token number -> the patient's own page (statusPage)

    async def run(self) -> Outcome:
        await self.open_doctors()
        ids = [doctor["id"] for doctor in self.doctors]
        async with FeedListener(self.client.session, self.client.base_url, ids) as feed:
            booked = [await self.book(patient) for patient in PATIENTS]
            await self.duplicate()
            emergency = await self.book(EMERGENCY)
            held = [t for t in booked if t["doctorId"] == ids[0] and t["status"] == "confirmed"]
            await self.cancel(held[0], "cancelled in the app")
            if self.sms_secret is not None:
                await self.cancel_by_sms(held[1], "रद्द")
            else:
                await self.cancel(held[1], "cancelled by phone at the desk")
            await self.delay(0, LATE_START, "ward round ran over")
            first = self.plan.first
            await asyncio.gather(
                self.arrivals(),
                self.desk(first + NO_SHOW_ROUND),
                *(self.follow_page(number) for number in self.followed(held[-1])),
                *(self.doctor_day(i, first + timedelta(minutes=LATE_START if i == 0 else 0)) for i in range(3)),
            )
            final = await self.final_tokens()
            schedules = [await self.client.schedule(doctor_id) for doctor_id in ids]
        return Outcome(
            doctors=self.doctors,
            schedules=schedules,
            midday=self.midday,
            tokens=final,
            actions=sorted(self.actions, key=lambda action: action.at),
            feed=feed.events,
            emergency=emergency["tokenNumber"],
            patients=len(PATIENTS) + 1,
        )

    def note(self, at: datetime, label: str, doctor: int, token: str, changed: str, *causes: Any) -> None:
        self.actions.append(Action(at, label, self.doctors[doctor]["id"], token, changed, tuple(causes)))
        self.step(f"{label.lower()} {self.doctors[doctor]['code']} {token}".strip())

    async def until(self, instant: datetime) -> None:
        """Poll the simulated clock: it is a function of wall time, nothing signals it."""
        while self.clock.now() < instant:  # noqa: ASYNC110
            await asyncio.sleep(0.02)

    def slot_start(self, token: dict[str, Any]) -> datetime:
        start = time.fromisoformat(token["timeSlot"]["startTime"])
        return datetime.combine(date.fromisoformat(token["date"]), start, self.zone)

    # -- before the first slot -----------------------------------------------------------------------------

    async def open_doctors(self) -> None:
        slots = [
            {
                "startTime": f"{start:%H:%M}",
                "endTime": f"{end:%H:%M}",
                "maxCapacity": CAPACITY,
                "reservedEmergencySlots": RESERVED,
            }
            for start, end in self.plan.slots
        ]
        labels = ", ".join(f"{slot['startTime']}-{slot['endTime']}" for slot in slots)
        for index, (name, specialization, room) in enumerate(DOCTORS):
            at = self.clock.now()
            doctor = await self.client.create_doctor(
                name=name, specialization=specialization, room=room, timeSlots=slots, workingDays=ALL_DAYS
            )
            self.doctors.append(doctor)
            changed = f"{name} ({specialization}, room {room}): {labels}; {CAPACITY} seats, {RESERVED} for emergencies"
            self.note(at, "DOCTOR", index, "", changed)

    async def book(self, patient: Patient) -> dict[str, Any]:
        booking: dict[str, Any] = {
            "doctorId": self.doctors[patient.doctor]["id"],
            "patientName": patient.name,
            "patientAge": patient.age,
            "phone": PHONES[patient.name],
            "language": LANGUAGES.get(patient.name, "en"),
        }
        if patient.first_slot:
            start, end = self.plan.slots[0]
            booking["timeSlot"] = f"{start:%H:%M}-{end:%H:%M}"
        at = self.clock.now()
        if patient.source == "emergency":
            answer = await self.client.emergency(**booking)
            label, how = "EMERGENCY", "at the desk"
        elif patient.source == "walkin" and self.kiosk is not None:
            answer = await self._at_kiosk(self.kiosk, booking)
            label, how = "BOOK", "walkin, at the kiosk over AMQP"
        else:
            answer = await self.client.book(**booking, source=patient.source)
            label, how = "BOOK", f"{patient.source}, {'in the app' if patient.source == 'online' else 'at the desk'}"
        token: dict[str, Any] = answer["token"]
        number = token["tokenNumber"]
        self.tokens[number] = token
        if answer.get("statusPage"):
            self.pages[number] = answer["statusPage"]
        self.patients[number] = patient
        changed = f"{patient.name} ({how}) → {token_line(token, self.zone)}"
        self.note(at, label, patient.doctor, token["shortNumber"], changed, (BOOKED, number))
        return token

    @staticmethod
    async def _at_kiosk(kiosk: Kiosk, booking: dict[str, Any]) -> dict[str, Any]:
        slot = booking.get("timeSlot")
        return await kiosk.book(
            UUID(booking["doctorId"]),
            booking["patientName"],
            booking["patientAge"],
            phone=booking["phone"],
            language=booking["language"],
            time_slot=TimeRange.model_validate(slot) if slot else None,
        )

    async def duplicate(self) -> None:
        at = self.clock.now()
        try:
            again = {"patientName": "Asha  verma", "patientAge": 34, "phone": PHONES["Asha Verma"]}
            await self.client.book(doctorId=self.doctors[0]["id"], **again)
        except ApiError as refused:
            self.note(at, "DUPLICATE", 0, "", f"Asha Verma books again → {refused.status} {refused.body['code']}")

    async def cancel(self, token: dict[str, Any], reason: str) -> None:
        number = token["tokenNumber"]
        at = self.clock.now()
        result = await self.client.cancel(token["id"], reason)
        self.tokens[number] = result["token"]
        freed = "seat freed" if result["seatFreed"] else "no seat held"
        changed = f"{self.patients[number].name}: {reason}; {freed}"
        self.note(at, "CANCEL", 0, token["shortNumber"], changed, (_kinds("cancelled"), number))

    async def cancel_by_sms(self, token: dict[str, Any], text: str) -> None:
        """The patient replies to their booking SMS; the SMS gateway passes the reply on, signed."""
        assert self.sms_secret is not None
        number = token["tokenNumber"]
        patient = self.patients[number]
        at = self.clock.now()
        answer = await self.client.sms(self.sms_secret, PHONES[patient.name], text)
        self.tokens[number] = {**token, "status": "cancelled"}
        changed = f"{patient.name} replies “{text}” by SMS ({answer['action']}) → “{answer['text']}”"
        self.note(at, "CANCEL", patient.doctor, token["shortNumber"], changed, (_kinds("cancelled"), number))

    def followed(self, waiting: dict[str, Any]) -> list[str]:
        """Whose pages the story follows: a patient waiting their turn, and the one who will come late."""
        late = [n for n, p in self.patients.items() if p.arrives is not None and p.arrives > 0 and p.doctor == 0]
        return [waiting["tokenNumber"], *late[:1]]

    async def follow_page(self, number: str) -> None:
        """A patient follows their own page: the place falls as the doctor calls. One who will come late presses
        "I'm running late" (once) when their turn nears after the slot has started, and sees their new time."""
        link = self.pages.get(number)
        if link is None:
            return
        patient, short = self.patients[number], self.tokens[number]["shortNumber"]
        comes_late = patient.arrives is not None and patient.arrives > 0
        shown_before: tuple[str, str, str] | None = None
        pressed = False
        while self.clock.now() < self.plan.closes:
            page = await self.client.page(link)
            rows = _rows(page)
            if (page["stage"], rows["before"], rows["eta"]) != shown_before:
                shown_before = (page["stage"], rows["before"], rows["eta"])
                changed = f"{patient.name}'s page: {page['headline']} Before you: {rows['before']}; at {rows['eta']}"
                self.note(self.clock.now(), "PAGE", patient.doctor, short, changed)
            if page["stage"] in ("called", "completed", "cancelled", "no_show"):
                return
            started = self.clock.now() >= self.slot_start(self.tokens[number])
            if comes_late and started and not pressed and page["canLate"] and rows["before"] in ("0", "1", "2"):
                pressed = True
                after = {row["key"]: row["value"] for row in (await self.client.running_late(link))["status"]["rows"]}
                changed = (
                    f"{patient.name} presses “I'm running late” → before you: {after['before']}; at {after['eta']}"
                )
                self.note(
                    self.clock.now(), "RUNNING LATE", patient.doctor, short, changed, (_kinds("recalled"), number)
                )
            await self.until(self.clock.now() + POLL)

    async def delay(self, doctor: int, minutes: int, reason: str) -> None:
        at = self.clock.now()
        result = await self.client.delay(self.doctors[doctor]["id"], minutes, reason)
        changed = f"{self.doctors[doctor]['name']} will start {minutes} min late: {reason}; {result['told']} told"
        self.note(at, "LATE", doctor, "", changed, (_kinds("doctor_delayed"), None))

    # -- the day -------------------------------------------------------------------------------------------

    async def arrivals(self) -> None:
        """Patients check in at their times, relative to the slot their token got (none for the cancelled)."""
        due = []
        for number, token in self.tokens.items():
            patient = self.patients[number]
            if patient.arrives is not None and token["status"] != "cancelled":
                due.append((self.slot_start(token) + timedelta(minutes=patient.arrives), number))
        for at, number in sorted(due):
            await self.until(at)
            await self.arrive(number)

    async def arrive(self, number: str) -> None:
        patient = self.patients[number]
        at = self.clock.now()
        result = await self.client.check_in(self.tokens[number]["id"])
        view = self.tokens[number] = result["token"]
        if result.get("lateArrival"):
            changed = f"{patient.name} arrives after the no-show: back in the queue, {token_line(view, self.zone)}"
            self.note(at, "LATE ARRIVAL", patient.doctor, view["shortNumber"], changed, (BOOKED, number))
        else:
            changed = f"{patient.name} is here; {token_line(view, self.zone)}"
            self.note(at, "CHECK-IN", patient.doctor, view["shortNumber"], changed, (_kinds("checked_in"), number))

    async def desk(self, round_at: datetime) -> None:
        """The no-show round of the first slot, then a reallocation for every doctor, then a look at the schedules."""
        await self.until(round_at)
        first = f"{self.plan.first:%H:%M}"
        for index, doctor in enumerate(self.doctors):
            for token in await self.client.tokens(doctor["id"]):
                absent = token["status"] == "confirmed" and not token["checkedInAt"] and not token["calledAt"]
                if absent and token["timeSlot"]["startTime"] == first:
                    await self.no_show(index, token)
        for index, doctor in enumerate(self.doctors):
            at = self.clock.now()
            result = await self.client.reallocate(doctor["id"])
            promoted = [number.rsplit("-", 1)[-1] for number in result["promoted"]]
            changed = f"{doctor['name']}: promoted {', '.join(promoted) or 'nobody (no free seat while patients wait)'}"
            self.note(at, "REALLOCATE", index, "", changed, *((_kinds("promoted"), n) for n in result["promoted"]))
        self.midday = [await self.client.schedule(doctor["id"]) for doctor in self.doctors]

    async def no_show(self, doctor: int, token: dict[str, Any]) -> None:
        number = token["tokenNumber"]
        at = self.clock.now()
        result = await self.client.no_show(token["id"])
        self.tokens[number] = result["token"]
        freed = "seat freed" if result["seatFreed"] else "no seat held"
        changed = f"{self.patients[number].name} has not arrived: no-show, {freed}"
        self.note(at, "NO-SHOW", doctor, token["shortNumber"], changed, (_kinds("no_show"), number))

    async def doctor_day(self, index: int, starts: datetime) -> None:
        """From ``starts``, call the next patient whenever free and someone is here; until the last slot is over."""
        doctor = self.doctors[index]
        await self.until(starts)
        serving: dict[str, Any] | None = None
        while self.clock.now() < self.plan.closes:
            live = await self.client.queue(doctor["id"])
            following = live["next"][0] if live["next"] else None
            if following and following["checkedInAt"] and self.slot_start(following) <= self.clock.now():
                serving = await self.call(index)
                await self.until(self.clock.now() + timedelta(minutes=self.patients[serving["tokenNumber"]].consult))
            elif serving is not None:
                await self.complete(index, serving)
                serving = None
            elif self.clock.now() >= self.plan.slots[-1][1] and not live["waitlist"]:
                return
            else:
                await self.until(self.clock.now() + POLL)

    async def call(self, index: int) -> dict[str, Any]:
        """Call-next: completes the patient in consultation, calls the next one, tells the one after."""
        doctor = self.doctors[index]
        at = self.clock.now()
        result = await self.client.call_next(doctor["id"])
        called, done, after = result["nowServing"], result["completed"], result["upNext"]
        parts = [f"{self.patients[called['tokenNumber']].name}, please proceed to room {doctor['room']}"]
        causes = [(_kinds("called"), called["tokenNumber"])]
        if done:
            parts.append(f"{done['shortNumber']} seen")
            causes.append((_kinds("completed"), done["tokenNumber"]))
        if after:
            parts.append(f"{after['shortNumber']} is next")
            causes.append((_kinds("up_next"), after["tokenNumber"]))
        self.note(at, "CALL", index, called["shortNumber"], "; ".join(parts), *causes)
        if index == 0:
            self.note(
                self.clock.now(), "QUEUE", index, "", queue_line(await self.client.queue(doctor["id"]), self.zone)
            )
        return dict(called)

    async def complete(self, index: int, token: dict[str, Any]) -> None:
        number = token["tokenNumber"]
        at = self.clock.now()
        await self.client.complete(token["id"])
        changed = f"{self.patients[number].name}: consultation over, nobody else here yet"
        self.note(at, "SEEN", index, token["shortNumber"], changed, (_kinds("completed"), number))

    async def final_tokens(self) -> dict[str, dict[str, Any]]:
        """Every token, once all are settled (the clock's no-shows come after the grace), or a while after that."""
        deadline = self.plan.closes + FINAL_WAIT
        while True:
            final = {t["id"]: t for d in self.doctors for t in await self.client.tokens(d["id"])}
            if all(t["status"] in FINAL_STATES for t in final.values()) or self.clock.now() >= deadline:
                return final
            await self.until(self.clock.now() + POLL)
