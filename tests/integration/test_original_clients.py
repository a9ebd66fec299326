"""Clients of the original Node system, written from DESIGN §3a alone, through the real gateway.

The client sends no API key (the gateway runs in development mode, as for the original clients) and reads
bodies only through ``Original.read``: each answer is checked against what §3a says the original sent, with
its types (ids as strings, times as ``HH:MM``, dates that JavaScript's ``new Date`` parses), and only those
keys reach the test. Our additions may sit beside them; nothing here may depend on one.
"""

import json
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_app
from gateway.settings import GatewaySettings
from shared.clock import ManualClock
from tests.conftest import ZONE
from tests.support.api import ApiClient
from tests.support.services import Running

Check = Callable[[Any], bool]
Shape = Check | dict[str, Any] | list[Any]

_ES_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$")


def ID(value: Any) -> bool:  # the shapes read like §3a's field types
    return isinstance(value, str) and bool(value)


def STR(value: Any) -> bool:
    return isinstance(value, str)


def INT(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def BOOL(value: Any) -> bool:
    return isinstance(value, bool)


def HHMM(value: Any) -> bool:
    return isinstance(value, str) and re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value) is not None


def DATE(value: Any) -> bool:
    """A date or date-time in the form ``new Date(text)`` parses (ISO 8601 with an offset)."""
    return isinstance(value, str) and _ES_DATE.match(value) is not None


def one_of(*allowed: str) -> Check:
    return lambda value: value in allowed


def maybe(check: Check) -> Check:
    return lambda value: value is None or check(value)


def min_0(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


TOKEN_STATUS = one_of("pending", "confirmed", "completed", "cancelled", "no_show")
SOURCE = one_of("online", "walkin", "priority", "followup", "emergency")
WEEKLY_SLOT = {"_id": ID, "startTime": HHMM, "endTime": HHMM, "maxCapacity": INT, "currentCount": INT, "isActive": BOOL}
DOCTOR = {
    "_id": ID,
    "name": STR,
    "specialization": STR,
    "timeSlots": [WEEKLY_SLOT],
    "workingDays": [STR],
    "createdAt": DATE,
}
SLOT = {
    "_id": ID,
    "doctorId": ID,
    "date": DATE,
    "startTime": HHMM,
    "endTime": HHMM,
    "maxCapacity": INT,
    "currentCount": INT,
    "reservedEmergencySlots": INT,
    "tokens": [ID],
    "status": one_of("available", "full", "completed", "cancelled"),
}
TOKEN = {
    "_id": ID,
    "tokenNumber": STR,
    "patientName": STR,
    "patientAge": INT,
    "doctorId": ID,
    "timeSlot": {"startTime": HHMM, "endTime": HHMM},
    "source": SOURCE,
    "priority": INT,
    "status": TOKEN_STATUS,
    "estimatedTime": maybe(DATE),
    "actualTime": maybe(DATE),
    "isEmergency": BOOL,
    "createdAt": DATE,
    "updatedAt": DATE,
}
NEW_TOKEN = {**TOKEN, "estimatedWaitTime": maybe(min_0)}
LISTED_TOKEN = {**TOKEN, "doctorId": {"_id": ID, "name": STR, "specialization": STR}}

# What each endpoint answered (§3a), by method and path pattern.
ANSWERS: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/doctors"): {"message": one_of("Doctor created successfully"), "doctor": DOCTOR},
    ("GET", "/api/doctors"): {"doctors": [DOCTOR]},
    ("GET", "/api/doctors/:doctorId/schedule"): {"date": DATE, "slots": [SLOT]},
    ("PUT", "/api/doctors/:doctorId/slots"): {"message": one_of("Doctor slots updated successfully"), "doctor": DOCTOR},
    ("POST", "/api/tokens"): {"message": one_of("Token created successfully"), "token": NEW_TOKEN},
    ("POST", "/api/tokens/emergency"): {"message": one_of("Emergency token created successfully"), "token": NEW_TOKEN},
    ("PUT", "/api/tokens/:tokenId/cancel"): {"message": one_of("Token cancelled successfully")},
    ("PUT", "/api/tokens/:tokenId/no-show"): {"message": one_of("Marked as no show")},
    ("GET", "/api/tokens/doctor/:doctorId"): {"tokens": [LISTED_TOKEN]},
    ("POST", "/api/tokens/reallocate/:doctorId"): {
        "message": one_of("Tokens reallocated successfully"),
        "stats": {"reallocatedCount": INT, "failedCount": INT, "totalTokens": INT},
    },
}
CREATED = {("POST", "/api/doctors"), ("POST", "/api/tokens"), ("POST", "/api/tokens/emergency")}
ERROR = {"error": STR}
SUGGESTED_SLOTS = {**ERROR, "suggestedSlots": [{"startTime": HHMM, "endTime": HHMM}]}
SUGGESTED_DOCTORS = {**ERROR, "suggestedDoctors": [{"_id": ID, "name": STR, "specialization": STR}]}


def read(shape: Shape, value: Any, where: str = "body") -> Any:
    """``value`` reduced to ``shape``'s keys, each checked; a missing key or a wrong type fails the test."""
    if isinstance(shape, dict):
        assert isinstance(value, dict), f"{where}: expected an object, got {value!r}"
        missing = shape.keys() - value.keys()
        assert not missing, f"{where}: missing {sorted(missing)} in {value!r}"
        return {key: read(part, value[key], f"{where}.{key}") for key, part in shape.items()}
    if isinstance(shape, list):
        assert isinstance(value, list), f"{where}: expected a list, got {value!r}"
        return [read(shape[0], item, f"{where}[{index}]") for index, item in enumerate(value)]
    assert shape(value), f"{where}: {value!r} is not what the original sent ({shape.__name__})"
    return value


def dates_in(value: Any) -> list[str]:
    """Every string of an answer that ``DATE`` accepted, for the check with JavaScript itself."""
    if isinstance(value, dict):
        return [found for item in value.values() for found in dates_in(item)]
    if isinstance(value, list):
        return [found for item in value for found in dates_in(item)]
    return [value] if DATE(value) else []


def assert_javascript_parses(dates: list[str]) -> None:
    """``new Date(text)`` is a valid date for every text (run with node when the machine has it)."""
    node = shutil.which("node")
    if node is None or not dates:
        return
    script = (
        "const bad = JSON.parse(process.argv[1]).filter((t) => isNaN(new Date(t))); console.log(JSON.stringify(bad))"
    )
    output = subprocess.run([node, "-e", script, json.dumps(dates)], capture_output=True, text=True, check=True)
    assert json.loads(output.stdout) == []


class Original:
    """A client of the original API: no key, the original's request bodies, the original's answer keys only."""

    def __init__(self, http: ApiClient) -> None:
        self.http = http
        self.dates: list[str] = []

    async def request(self, method: str, pattern: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = await self.http.request(method, path, json=body)
        answer = await response.json()
        assert response.status == (201 if (method, pattern) in CREATED else 200), answer
        assert answer["success"] is True
        read_answer = read(ANSWERS[(method, pattern)], answer, f"{method} {pattern}")
        self.dates += dates_in(read_answer)
        return read_answer

    async def refused(self, method: str, path: str, status: int, shape: dict[str, Any], body: Any = None) -> Any:
        response = await self.http.request(method, path, json=body)
        answer = await response.json()
        assert response.status == status, answer
        return read(shape, answer, f"{method} {path} ({status})")

    async def create_doctor(self, name: str, specialization: str, *slots: tuple[str, str, int]) -> dict[str, Any]:
        body = {
            "name": name,
            "specialization": specialization,
            "timeSlots": [{"startTime": s, "endTime": e, "maxCapacity": n} for s, e, n in slots],
            "workingDays": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"],
        }
        return (await self.request("POST", "/api/doctors", "/api/doctors", body))["doctor"]  # type: ignore[no-any-return]

    async def book(self, doctor: dict[str, Any], name: str, start: str, end: str, source: str) -> dict[str, Any]:
        body = {
            "doctorId": doctor["_id"],
            "patientName": name,
            "patientAge": 30 + len(name),
            "source": source,
            "timeSlot": {"startTime": start, "endTime": end},
        }
        return (await self.request("POST", "/api/tokens", "/api/tokens", body))["token"]  # type: ignore[no-any-return]

    async def emergency(self, doctor: dict[str, Any], name: str) -> dict[str, Any]:
        body = {"doctorId": doctor["_id"], "patientName": name, "patientAge": 61}
        path = "/api/tokens/emergency"
        return (await self.request("POST", path, path, body))["token"]  # type: ignore[no-any-return]

    async def schedule(self, doctor: dict[str, Any], date: str) -> dict[str, Any]:
        pattern = "/api/doctors/:doctorId/schedule"
        return await self.request("GET", pattern, f"/api/doctors/{doctor['_id']}/schedule?date={date}")  # type: ignore[no-any-return]

    async def tokens(self, doctor: dict[str, Any]) -> list[dict[str, Any]]:
        path = f"/api/tokens/doctor/{doctor['_id']}"
        return (await self.request("GET", "/api/tokens/doctor/:doctorId", path))["tokens"]  # type: ignore[no-any-return]

    async def cancel(self, token_ref: str) -> dict[str, Any]:
        pattern = "/api/tokens/:tokenId/cancel"
        return await self.request("PUT", pattern, f"/api/tokens/{token_ref}/cancel")  # type: ignore[no-any-return]

    async def no_show(self, token_ref: str) -> dict[str, Any]:
        pattern = "/api/tokens/:tokenId/no-show"
        return await self.request("PUT", pattern, f"/api/tokens/{token_ref}/no-show")  # type: ignore[no-any-return]

    async def reallocate(self, doctor: dict[str, Any]) -> dict[str, int]:
        pattern = "/api/tokens/reallocate/:doctorId"
        return (await self.request("POST", pattern, f"/api/tokens/reallocate/{doctor['_id']}"))["stats"]  # type: ignore[no-any-return]


@pytest.fixture
async def original(gateway_settings: GatewaySettings, clock: ManualClock) -> AsyncIterator[Original]:
    """The gateway as the original's clients meet it: development mode, no API key on any request."""
    settings = gateway_settings.model_copy(update={"auth_mode": "development", "api_keys": ""})
    http = TestClient(TestServer(create_app(settings, clock)))
    await http.start_server()
    yield Original(http)
    await http.close()


TODAY = "2026-12-01"  # the clock's Tuesday


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 1, hour, minute, tzinfo=ZONE)


# ----------------------------------------------------------------------------------------- endpoint by endpoint


async def test_doctors_are_created_listed_and_their_slots_updated_with_the_original_keys(
    original: Original, allocator: Running
) -> None:
    doctor = await original.create_doctor("Dr. Mehta", "Cardiology", ("09:00", "10:00", 4), ("10:00", "11:00", 4))
    assert [(s["startTime"], s["maxCapacity"], s["currentCount"], s["isActive"]) for s in doctor["timeSlots"]] == [
        ("09:00", 4, 0, True),
        ("10:00", 4, 0, True),
    ]
    assert len({s["_id"] for s in doctor["timeSlots"]}) == 2

    listed = (await original.request("GET", "/api/doctors", "/api/doctors"))["doctors"]
    assert listed == [doctor]

    body = {"timeSlots": [{"startTime": "14:00", "endTime": "16:00", "maxCapacity": 8}]}
    path = f"/api/doctors/{doctor['_id']}/slots"
    updated = (await original.request("PUT", "/api/doctors/:doctorId/slots", path, body))["doctor"]
    assert (updated["_id"], [s["startTime"] for s in updated["timeSlots"]]) == (doctor["_id"], ["14:00"])
    assert_javascript_parses(original.dates)


async def test_a_token_is_created_listed_with_its_doctor_and_counted_in_the_schedule(
    original: Original, allocator: Running
) -> None:
    doctor = await original.create_doctor("Dr. Rao", "ENT", ("09:00", "10:00", 4))
    token = await original.book(doctor, "Asha Verma", "09:00", "10:00", "online")
    assert (token["doctorId"], token["status"], token["source"], token["priority"]) == (
        doctor["_id"],
        "confirmed",
        "online",
        4,
    )
    assert token["timeSlot"] == {"startTime": "09:00", "endTime": "10:00"}
    assert (token["estimatedWaitTime"], token["actualTime"], token["isEmergency"]) == (60, None, False)

    schedule = await original.schedule(doctor, TODAY)
    assert datetime.fromisoformat(schedule["date"]).date().isoformat() == TODAY
    [slot] = schedule["slots"]
    assert (slot["doctorId"], slot["currentCount"], slot["tokens"], slot["status"]) == (
        doctor["_id"],
        1,
        [token["_id"]],
        "available",
    )

    [listed] = await original.tokens(doctor)
    assert listed["doctorId"] == {"_id": doctor["_id"], "name": "Dr. Rao", "specialization": "ENT"}
    assert listed["_id"] == token["_id"]
    [weekly] = (await original.request("GET", "/api/doctors", "/api/doctors"))["doctors"][0]["timeSlots"]
    assert weekly["currentCount"] == 1  # today's slot at that time
    assert_javascript_parses(original.dates)


async def test_an_emergency_token_is_created_with_the_original_message(original: Original, allocator: Running) -> None:
    doctor = await original.create_doctor("Dr. Iyer", "Cardiology", ("09:00", "10:00", 3))
    token = await original.emergency(doctor, "Rahul Bose")
    assert (token["isEmergency"], token["source"], token["priority"], token["status"]) == (
        True,
        "emergency",
        1,
        "confirmed",
    )


async def test_a_called_token_has_its_actual_time(original: Original, allocator: Running, clock: ManualClock) -> None:
    doctor = await original.create_doctor("Dr. Sen", "ENT", ("09:00", "10:00", 4))
    token = await original.book(doctor, "Asha Verma", "09:00", "10:00", "walkin")
    clock.set(at(9, 5))
    response = await original.http.post(f"/api/doctors/{doctor['_id']}/call-next")
    assert response.status == 200
    [called] = await original.tokens(doctor)
    assert called["_id"] == token["_id"]
    assert called["actualTime"] is not None
    assert datetime.fromisoformat(called["actualTime"]) == at(9, 5)


async def test_cancel_no_show_and_reallocate_answer_the_original_messages_and_stats(
    original: Original, allocator: Running, clock: ManualClock
) -> None:
    doctor = await original.create_doctor("Dr. Das", "ENT", ("09:00", "10:00", 3))
    seated = [await original.book(doctor, name, "09:00", "10:00", "walkin") for name in ("Asha", "Ravi")]
    waiting = await original.book(doctor, "Kavita", "09:00", "10:00", "walkin")
    assert waiting["status"] == "pending"
    assert waiting["estimatedWaitTime"] is None

    await original.cancel(seated[0]["tokenNumber"])
    clock.set(at(9, 10))
    await original.no_show(seated[1]["_id"])
    stats = await original.reallocate(doctor)
    assert stats == {"reallocatedCount": 0, "failedCount": 0, "totalTokens": 1}  # Kavita was promoted at once

    statuses = {t["patientName"]: t["status"] for t in await original.tokens(doctor)}
    assert statuses == {"Asha": "cancelled", "Ravi": "no_show", "Kavita": "confirmed"}


async def test_reallocate_counts_the_waiting_tokens_it_moved_and_those_it_could_not_place(
    original: Original, allocator: Running, clock: ManualClock
) -> None:
    doctor = await original.create_doctor("Dr. Roy", "ENT", ("09:00", "10:00", 2), ("10:00", "11:00", 2))
    await original.book(doctor, "Asha", "09:00", "10:00", "walkin")
    await original.book(doctor, "Ravi", "09:00", "10:00", "walkin")  # waits: one regular seat, one reserved
    await original.book(doctor, "Kavita", "10:00", "11:00", "walkin")
    await original.book(doctor, "Imran", "10:00", "11:00", "walkin")  # waits
    # 09:00 has ended and 10:00 has started: Ravi moves on, and arrived first, so takes 10:00's released reserve.
    clock.set(at(10, 5))
    assert await original.reallocate(doctor) == {"reallocatedCount": 1, "failedCount": 0, "totalTokens": 4}
    clock.set(at(11, 5))  # no slot left for Imran
    assert await original.reallocate(doctor) == {"reallocatedCount": 0, "failedCount": 1, "totalTokens": 4}


# ---------------------------------------------------------------------------------------------------- errors


async def test_errors_carry_the_message_and_the_original_suggestions(
    original: Original, allocator: Running, clock: ManualClock
) -> None:
    doctor = await original.create_doctor("Dr. Khan", "Neurology", ("09:00", "10:00", 2), ("10:00", "11:00", 2))
    colleague = await original.create_doctor("Dr. Bose", "Neurology", ("09:00", "10:00", 2))
    await original.book(doctor, "Asha", "09:00", "10:00", "walkin")

    full = {"doctorId": doctor["_id"], "patientName": "Ravi", "patientAge": 40, "timeSlot": "09:00-10:00"}
    refusal = await original.refused("POST", "/api/tokens", 409, SUGGESTED_SLOTS, {**full, "waitlist": False})
    assert refusal["suggestedSlots"] == [{"startTime": "10:00", "endTime": "11:00"}]

    for name in ("E1", "E2", "E3", "E4", "E5"):  # 09:00: the reserve, the +1; 10:00: both seats, the +1
        await original.emergency(doctor, name)
    body = {"doctorId": doctor["_id"], "patientName": "E6", "patientAge": 70}
    refusal = await original.refused("POST", "/api/tokens/emergency", 409, SUGGESTED_DOCTORS, body)
    assert [(d["_id"], d["name"]) for d in refusal["suggestedDoctors"]] == [(colleague["_id"], "Dr. Bose")]

    unknown = "00000000-0000-4000-8000-000000000000"
    await original.refused("GET", f"/api/doctors/{unknown}/schedule", 404, ERROR)
    await original.refused("PUT", "/api/tokens/NO-SUCH-TOKEN/cancel", 404, ERROR)
    await original.refused("POST", "/api/tokens", 400, ERROR, {"doctorId": doctor["_id"], "patientName": "No age"})
    [asha] = [t for t in await original.tokens(doctor) if t["patientName"] == "Asha"]
    await original.cancel(asha["tokenNumber"])
    again = await original.refused("PUT", f"/api/tokens/{asha['tokenNumber']}/cancel", 409, ERROR)
    assert "cancelled" in again["error"]


# ------------------------------------------------------------------------------------------ the original's day


async def test_an_original_client_runs_the_original_scenario_unchanged(
    original: Original, allocator: Running, clock: ManualClock
) -> None:
    """Three doctors, five slots, 15 patients, an emergency, a cancellation by token number, a no-show,
    the three schedules and a reallocation: every step answered, read through the original's keys only."""
    cardiology = await original.create_doctor("Dr. Mehta", "Cardiology", ("09:00", "10:00", 4), ("10:00", "11:00", 4))
    neurology = await original.create_doctor("Dr. Iyer", "Neurology", ("09:00", "10:00", 4), ("10:00", "11:00", 4))
    orthopedics = await original.create_doctor("Dr. Nair", "Orthopedics", ("09:00", "11:00", 6))
    doctors = [cardiology, neurology, orthopedics]

    bookings = [
        (cardiology, "09:00", "10:00", ["Asha Verma", "Ravi Kumar", "Pooja Nair", "Kavita Rao"]),
        (cardiology, "10:00", "11:00", ["Imran Siddiqui"]),
        (neurology, "09:00", "10:00", ["Neha Kulkarni", "Arjun Das", "Meera Pillai"]),
        (neurology, "10:00", "11:00", ["Sanjay Gupta", "Lata Joshi"]),
        (orthopedics, "09:00", "11:00", ["Farah Khan", "Vikram Singh", "Anita Desai", "Rohan Mehra", "Divya Menon"]),
    ]
    sources = ["online", "walkin", "priority", "followup"]
    tokens: dict[str, dict[str, Any]] = {}
    for doctor, start, end, names in bookings:
        for name in names:
            tokens[name] = await original.book(doctor, name, start, end, sources[len(tokens) % 4])
    assert len(tokens) == 15
    assert len({t["tokenNumber"] for t in tokens.values()}) == 15
    # One regular seat is kept for emergencies: Dr. Mehta's fourth 09:00 patient waits.
    assert [t["status"] for t in list(tokens.values())[:4]] == ["confirmed", "confirmed", "confirmed", "pending"]

    emergency = await original.emergency(cardiology, "Rahul Bose")
    assert (emergency["status"], emergency["timeSlot"]["startTime"]) == ("confirmed", "09:00")

    await original.cancel(tokens["Ravi Kumar"]["tokenNumber"])  # Kavita Rao is promoted to the freed seat
    clock.set(at(9, 20))
    await original.no_show(tokens["Arjun Das"]["tokenNumber"])

    schedules = [await original.schedule(doctor, TODAY) for doctor in doctors]
    counts = [[(s["currentCount"], s["maxCapacity"]) for s in schedule["slots"]] for schedule in schedules]
    assert counts == [[(4, 4), (1, 4)], [(2, 4), (2, 4)], [(5, 6)]]
    for schedule in schedules:
        for slot in schedule["slots"]:
            assert len(slot["tokens"]) == slot["currentCount"] <= slot["maxCapacity"] + 1
    assert emergency["_id"] in schedules[0]["slots"][0]["tokens"]

    stats = [await original.reallocate(doctor) for doctor in doctors]
    assert [s["totalTokens"] for s in stats] == [5, 4, 5]
    assert all(s["failedCount"] == 0 for s in stats)

    final = {t["patientName"]: t for doctor in doctors for t in await original.tokens(doctor)}
    assert len(final) == 16
    assert (final["Ravi Kumar"]["status"], final["Arjun Das"]["status"]) == ("cancelled", "no_show")
    assert final["Kavita Rao"]["status"] == "confirmed"
    assert final["Rahul Bose"]["doctorId"]["name"] == "Dr. Mehta"
    assert_javascript_parses(original.dates)
