"""A stochastic OPD day as data: the doctors, and every patient's booking, arrival, cancellation and consultation.

Pure and seeded (``random.Random(seed)`` only): the same config gives the same script, whatever plays it. The
player (``day_player``) plays it through the allocation domain; a live player could replay it through the services.

The patterns: online and follow-up patients book days ahead for a slot they choose (mornings are popular), paid
priority patients the day before; walk-ins arrive on the day, peaking mid-morning, and take the earliest slot with
a seat; a few emergencies come during the sessions. Booked patients mostly arrive a little early; some arrive after
the desk has marked them no-show, some never come, some cancel. Walk-ins with little patience leave if not called
in time. Consultation times are lognormal around each doctor's pace; a few doctors start late.
"""

import math
import random
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.contracts.values import TokenSource

ZONE = ZoneInfo("Asia/Kolkata")
DAY = date(2026, 3, 2)  # a Monday; the virtual clock makes the date immaterial
SOURCE_MIX = {TokenSource.ONLINE: 0.35, TokenSource.FOLLOWUP: 0.15, TokenSource.PRIORITY: 0.08}
EMERGENCY_SHARE = 0.01
NO_SHOW_RATE = 0.12  # booked patients who never come
CANCEL_RATE = 0.07  # booked patients who cancel before their slot
LATE_RATE = 0.06  # booked patients who arrive after the desk's no-show round (re-queued at the end of their class)
NO_SHOW_ROUND = timedelta(minutes=20)  # the desk marks absent patients no-show this long after their slot starts
LEAVE_RATE = 0.05  # walk-ins who leave if not called within their patience
LATE_DOCTOR_RATE = 0.15
AFTERNOON_SHARE = 0.5  # doctors who also hold an afternoon session
AFTERNOON_WALKINS = 0.25  # walk-ins of such doctors who come in the afternoon
LOAD = 0.9  # seats per expected patient: below 1, the cancellations and no-shows make room
CONSULT_SIGMA = 0.45
MORNING = ((time(9), time(10)), (time(10), time(11)), (time(11), time(12)), (time(12), time(13)))
AFTERNOON = ((time(14), time(15)), (time(15), time(16)))
SLOT_APPEAL = (4, 4, 3, 2, 2, 1)  # how often booked patients choose each slot of the day
SPECIALIZATIONS = (
    "General Medicine",
    "Pediatrics",
    "Orthopedics",
    "Cardiology",
    "ENT",
    "Dermatology",
    "Gynecology",
    "Ophthalmology",
)
DOCTOR_NAMES = ("Mehta", "Rao", "Iyer", "Sharma", "Khan", "Nair", "Bose", "Gill", "Reddy", "Pillai", "Das", "Kapoor")
FIRST_NAMES = ("Asha", "Ravi", "Meena", "Arjun", "Kavita", "Sunil", "Pooja", "Imran", "Lata", "Vikram", "Neha", "Aarav")
LAST_NAMES = ("Verma", "Kumar", "Shah", "Das", "Rao", "Jain", "Nair", "Khan", "Joshi", "Singh", "Gupta", "Roy")


@dataclass(frozen=True, slots=True)
class DayConfig:
    doctors: int = 20
    patients: int = 1500
    seed: int = 7
    day: date = DAY
    zone: ZoneInfo = ZONE


@dataclass(frozen=True, slots=True)
class DoctorPlan:
    code: str  # D1, D2, ...
    name: str
    specialization: str
    room: str
    slots: tuple[tuple[time, time], ...]
    capacity: int  # seats per slot
    consult_minutes: float  # this doctor's mean consultation
    late_minutes: int  # starts this late (0: on time)


@dataclass(frozen=True, slots=True)
class PatientPlan:
    key: str  # the patient id, P0001, ...
    name: str
    age: int
    doctor: int  # index into DayScript.doctors
    source: TokenSource
    booked_at: datetime
    slot: int | None  # the slot asked for (index into the doctor's slots); None: the earliest with a seat
    arrives_at: datetime | None  # None: never comes
    cancels_at: datetime | None  # cancels (booked) or leaves (walk-in, if not called by then)
    consult_minutes: float

    @property
    def walks_in(self) -> bool:
        """Books at the desk on arrival (walk-ins and emergencies)."""
        return self.source in (TokenSource.WALKIN, TokenSource.EMERGENCY)


@dataclass(frozen=True, slots=True)
class DayScript:
    config: DayConfig
    doctors: tuple[DoctorPlan, ...]
    patients: tuple[PatientPlan, ...]

    def at(self, clock: time) -> datetime:
        return datetime.combine(self.config.day, clock, tzinfo=self.config.zone)

    def slot_start(self, doctor: DoctorPlan, index: int) -> datetime:
        return self.at(doctor.slots[index][0])

    def fates(self) -> dict[str, int]:
        """How many booked patients will cancel, never come, come after the no-show round; walk-ins who may leave."""
        fates = dict.fromkeys(("cancel", "never come", "come late", "may leave"), 0)
        for p in self.patients:
            if p.slot is None:
                fates["may leave"] += p.cancels_at is not None
            elif p.cancels_at is not None:
                fates["cancel"] += 1
            elif p.arrives_at is None:
                fates["never come"] += 1
            else:
                fates["come late"] += p.arrives_at > self.slot_start(self.doctors[p.doctor], p.slot) + NO_SHOW_ROUND
        return fates


def source_counts(patients: int) -> dict[TokenSource, int]:
    """How many patients come from each source: the mix, rounded, with walk-ins taking the remainder."""
    counts = {source: round(patients * share) for source, share in SOURCE_MIX.items()}
    counts[TokenSource.EMERGENCY] = max(1, round(patients * EMERGENCY_SHARE)) if patients else 0
    while sum(counts.values()) > patients:  # tiny days: fewer booked patients, never fewer than none
        largest = max(counts, key=lambda source: counts[source])
        counts[largest] -= 1
    counts[TokenSource.WALKIN] = patients - sum(counts.values())
    return counts


def _minutes(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(minutes=rng.uniform(low, high))


def _doctors(config: DayConfig, rng: random.Random) -> tuple[tuple[DoctorPlan, ...], list[float]]:
    """The doctors and how many patients each draws (popularity times sessions)."""
    sessions = [MORNING + AFTERNOON if rng.random() < AFTERNOON_SHARE else MORNING for _ in range(config.doctors)]
    appeal = [rng.lognormvariate(0, 0.35) * len(slots) for slots in sessions]
    late = [rng.randint(10, 40) if rng.random() < LATE_DOCTOR_RATE else 0 for _ in range(config.doctors)]
    if config.doctors and not any(late):
        late[rng.randrange(config.doctors)] = rng.randint(10, 40)
    doctors = []
    for index, slots in enumerate(sessions):
        expected = config.patients * appeal[index] / sum(appeal)
        capacity = max(3, round(expected * LOAD / len(slots)))
        doctors.append(
            DoctorPlan(
                code=f"D{index + 1}",
                name=f"Dr. {DOCTOR_NAMES[index % len(DOCTOR_NAMES)]} {index + 1}",
                specialization=SPECIALIZATIONS[index % len(SPECIALIZATIONS)],
                room=str(101 + index),
                slots=slots,
                capacity=capacity,
                consult_minutes=60 / capacity * rng.uniform(0.8, 1.05),
                late_minutes=late[index],
            )
        )
    return tuple(doctors), appeal


def _consult(rng: random.Random, mean: float, source: TokenSource) -> float:
    scale = {TokenSource.EMERGENCY: 1.5, TokenSource.FOLLOWUP: 0.8}.get(source, 1.0)
    mu = math.log(mean * scale) - CONSULT_SIGMA**2 / 2
    return min(60.0, max(1.5, rng.lognormvariate(mu, CONSULT_SIGMA)))


def _walk_in_arrival(script: DayScript, doctor: DoctorPlan, rng: random.Random) -> datetime:
    """Mornings from 07:30 to 12:15, peaking at 09:45; afternoons from 13:15 to 15:30, peaking at 14:00."""
    if len(doctor.slots) > len(MORNING) and rng.random() < AFTERNOON_WALKINS:
        return script.at(time(13, 15)) + timedelta(minutes=rng.triangular(0, 135, 45))
    return script.at(time(7, 30)) + timedelta(minutes=rng.triangular(0, 285, 135))


def _booked_patient(
    script: DayScript, doctor: DoctorPlan, source: TokenSource, rng: random.Random
) -> tuple[datetime, int, datetime | None, datetime | None]:
    """(booked at, slot asked for, arrives at, cancels at) of an online, follow-up or priority patient."""
    slot = rng.choices(range(len(doctor.slots)), weights=SLOT_APPEAL[: len(doctor.slots)])[0]
    start = script.slot_start(doctor, slot)
    midnight = script.at(time(0))
    if source is TokenSource.FOLLOWUP:
        booked = midnight - timedelta(days=rng.randint(2, 14)) + timedelta(hours=rng.uniform(9, 17))
    elif source is TokenSource.PRIORITY:
        booked = midnight - timedelta(days=1) + timedelta(hours=rng.uniform(10, 20))
    else:
        booked = midnight - timedelta(hours=rng.uniform(8, 168))
    fate = rng.random()
    if fate < CANCEL_RATE:
        return booked, slot, None, booked + (start - timedelta(minutes=5) - booked) * rng.random()
    if fate < CANCEL_RATE + NO_SHOW_RATE:
        return booked, slot, None, None
    if fate < CANCEL_RATE + NO_SHOW_RATE + LATE_RATE:
        return booked, slot, start + NO_SHOW_ROUND + _minutes(rng, 5, 70), None
    early = min(60.0, max(-15.0, rng.gauss(12, 10)))
    return booked, slot, start - timedelta(minutes=early), None


def generate_day(config: DayConfig) -> DayScript:
    """The day's script for this config; the same config always gives the same script."""
    rng = random.Random(config.seed)
    doctors, appeal = _doctors(config, rng)
    script = DayScript(config=config, doctors=doctors, patients=())
    sources = [source for source, count in source_counts(config.patients).items() for _ in range(count)]
    rng.shuffle(sources)
    patients = []
    for source in sources:
        index = rng.choices(range(len(doctors)), weights=appeal)[0]
        doctor = doctors[index]
        slot: int | None = None
        arrives: datetime | None
        cancels: datetime | None = None
        if source is TokenSource.EMERGENCY:
            first, last = script.at(doctor.slots[0][0]), script.at(doctor.slots[-1][1]) - timedelta(minutes=30)
            booked = first + (last - first) * rng.random()
            arrives = booked
        elif source is TokenSource.WALKIN:
            booked = _walk_in_arrival(script, doctor, rng)
            arrives = booked
            if rng.random() < LEAVE_RATE:
                cancels = arrives + _minutes(rng, 40, 120)
        else:
            booked, slot, arrives, cancels = _booked_patient(script, doctor, source, rng)
        patients.append(
            PatientPlan(
                key="",
                name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                age=rng.randint(1, 14) if doctor.specialization == "Pediatrics" else rng.randint(16, 88),
                doctor=index,
                source=source,
                booked_at=booked,
                slot=slot,
                arrives_at=arrives,
                cancels_at=cancels,
                consult_minutes=_consult(rng, doctor.consult_minutes, source),
            )
        )
    patients.sort(key=lambda patient: patient.booked_at)
    keyed = tuple(replace(patient, key=f"P{number:05d}") for number, patient in enumerate(patients, start=1))
    return DayScript(config=config, doctors=doctors, patients=keyed)
