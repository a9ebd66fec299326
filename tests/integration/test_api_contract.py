"""The REST contract, endpoint by endpoint, through the gateway with the allocator running.

Every endpoint of the README's table: the happy path and each error status it can produce. Every error body is
JSON ``{"success": false, "error", "code", ...details}`` (checked by ``call``). The clock stands at Tuesday
2026-12-01 08:00 in the hospital's time zone unless a test moves it.
"""

from datetime import datetime
from typing import Any

import asyncpg
import pytest

from shared.clock import ManualClock
from tests.conftest import ZONE
from tests.support.api import ApiClient, book, call, create_doctor, outcome, refused
from tests.support.services import Running

TODAY = "2026-12-01"  # a Tuesday
SUNDAY = "2026-12-06"
NIL = "00000000-0000-4000-8000-000000000000"
MORNING = "09:00-10:00"
LATE = "10:00-11:00"
LATER = {"date": TODAY, "timeSlot": LATE, "startTime": "10:00", "endTime": "11:00", "seatsLeft": 1}

# ---------------------------------------------------------------------------------------------------- helpers


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, 1, hour, minute, tzinfo=ZONE)


def slot(start: str, end: str, capacity: int, reserved: int = 1, **extra: Any) -> dict[str, Any]:
    return {"startTime": start, "endTime": end, "maxCapacity": capacity, "reservedEmergencySlots": reserved, **extra}


async def one_slot_doctor(api: ApiClient, capacity: int, reserved: int = 1, **overrides: Any) -> dict[str, Any]:
    """A doctor seeing patients 09:00-10:00 only."""
    return await create_doctor(api, timeSlots=[slot("09:00", "10:00", capacity, reserved)], **overrides)


async def emergency(api: ApiClient, name: str, expect: int = 201, **body: Any) -> dict[str, Any]:
    return await call(
        api, "POST", "/api/tokens/emergency", expect, json={"patientName": name, "patientAge": 60, **body}
    )


async def token(api: ApiClient, ref: str) -> dict[str, Any]:
    return (await call(api, "GET", f"/api/tokens/{ref}", 200))["token"]  # type: ignore[no-any-return]


async def slots_of(api: ApiClient, doctor_id: str, day: str = TODAY) -> dict[str, dict[str, Any]]:
    """The day's schedule, slot views by ``HH:MM-HH:MM``."""
    body = await call(api, "GET", f"/api/doctors/{doctor_id}/schedule?date={day}", 200)
    return {f"{s['startTime']}-{s['endTime']}": s for s in body["slots"]}


async def unavailable(api: ApiClient, doctor_id: str, expect: int = 200, **body: Any) -> dict[str, Any]:
    return await call(api, "POST", f"/api/doctors/{doctor_id}/unavailability", expect, json=body)


async def cancel(api: ApiClient, ref: str, expect: int = 200, **kwargs: Any) -> dict[str, Any]:
    return await call(api, "PUT", f"/api/tokens/{ref}/cancel", expect, **kwargs)


async def no_show(api: ApiClient, ref: str, expect: int = 200) -> dict[str, Any]:
    return await call(api, "PUT", f"/api/tokens/{ref}/no-show", expect)


async def reallocate(api: ApiClient, doctor_id: str, **kwargs: Any) -> dict[str, Any]:
    return await call(api, "POST", f"/api/tokens/reallocate/{doctor_id}", 200, **kwargs)


def patient(name: str = "Asha Verma", **extra: Any) -> dict[str, Any]:
    return {"patientName": name, "patientAge": 34, **extra}


def numbers(tokens: list[dict[str, Any]]) -> list[str]:
    return [t["tokenNumber"] for t in tokens]


# A table row: method, path, request keyword arguments, expected status, code and (optionally) the field named.
Case = tuple[str, str, dict[str, Any], int, str, str | None]
Change = tuple[dict[str, Any], str]  # a change to a valid body, and the field its refusal must name


async def mismatches(api: ApiClient, cases: list[Case]) -> list[tuple[Any, ...]]:
    """The rows whose answer differs from the expectation, with what came back (empty when all agree)."""
    wrong = []
    for method, path, kwargs, status, code, field in cases:
        got = await outcome(api, method, path, **kwargs)
        if got[:2] != (status, code) or (field is not None and field not in got[2]):
            wrong.append((method, path, kwargs, got))
    return wrong


def invalid(method: str, path: str, base: dict[str, Any], changes: list[Change]) -> list[Case]:
    """400 rows: ``base`` with one change each, expected to be refused naming ``field``."""
    return [(method, path, {"json": {**base, **change}}, 400, "INVALID_REQUEST", field) for change, field in changes]


# ------------------------------------------------------------------------------------- transport-level errors

WRITES = [
    ("POST", "/api/doctors"),
    ("PUT", f"/api/doctors/{NIL}/slots"),
    ("POST", f"/api/doctors/{NIL}/unavailability"),
    ("POST", "/api/tokens"),
    ("POST", "/api/tokens/emergency"),
    ("PUT", "/api/tokens/D1-20261201-T001/cancel"),
    ("PUT", "/api/tokens/D1-20261201-T001/no-show"),
    ("POST", f"/api/tokens/reallocate/{NIL}"),
]
JSON = {"Content-Type": "application/json"}
HOURS = {"timeSlots": [{"startTime": "09:00", "endTime": "10:00", "maxCapacity": 4}]}


async def test_malformed_json_is_400_on_every_write(api: ApiClient) -> None:
    bad = {"data": b'{"name": ', "headers": JSON}
    assert await mismatches(api, [(m, p, bad, 400, "INVALID_REQUEST", None) for m, p in WRITES]) == []
    assert "malformed JSON" in (await refused(api, "POST", "/api/tokens", 400, "INVALID_REQUEST", **bad))["error"]


async def test_a_body_that_is_not_an_object_is_400_on_every_write(api: ApiClient) -> None:
    bodies = [b"[1, 2, 3]", b'"text"', b"42", b"null"]
    cases: list[Case] = [
        (m, p, {"data": body, "headers": JSON}, 400, "INVALID_REQUEST", None) for m, p in WRITES for body in bodies
    ]
    assert await mismatches(api, cases) == []


async def test_a_missing_body_is_400_where_one_is_required(api: ApiClient) -> None:
    paths = [
        ("POST", "/api/doctors"),
        ("PUT", f"/api/doctors/{NIL}/slots"),
        ("POST", f"/api/doctors/{NIL}/unavailability"),
        ("POST", "/api/tokens"),
        ("POST", "/api/tokens/emergency"),
    ]
    assert await mismatches(api, [(m, p, {}, 400, "INVALID_REQUEST", None) for m, p in paths]) == []


async def test_an_oversized_body_is_413(api: ApiClient) -> None:
    await refused(api, "POST", "/api/tokens", 413, "PAYLOAD_TOO_LARGE", json=patient("x" * 70_000, doctorId=NIL))


async def test_a_wrong_method_is_405(api: ApiClient) -> None:
    wrong = [
        ("DELETE", "/api/doctors"),
        ("PATCH", f"/api/doctors/{NIL}"),
        ("POST", f"/api/doctors/{NIL}/schedule"),
        ("GET", f"/api/doctors/{NIL}/slots"),
        ("GET", f"/api/doctors/{NIL}/unavailability"),
        ("PUT", "/api/tokens"),
        ("GET", "/api/tokens/D1-20261201-T001/cancel"),
        ("DELETE", "/api/tokens/D1-20261201-T001/no-show"),
        ("GET", f"/api/tokens/reallocate/{NIL}"),
        ("POST", f"/api/tokens/doctor/{NIL}"),
        ("DELETE", f"/api/commands/{NIL}"),
    ]
    assert await mismatches(api, [(m, p, {}, 405, "METHOD_NOT_ALLOWED", None) for m, p in wrong]) == []


async def test_an_unknown_path_is_a_json_404(api: ApiClient) -> None:
    await refused(api, "GET", "/api/patients", 404, "NOT_FOUND")


async def test_a_malformed_id_is_400_naming_it(api: ApiClient) -> None:
    bad = "not-a-uuid"
    requests = [
        ("GET", f"/api/doctors/{bad}", None, "doctorId"),
        ("GET", f"/api/doctors/{bad}/schedule", None, "doctorId"),
        ("PUT", f"/api/doctors/{bad}/slots", HOURS, "doctorId"),
        ("POST", f"/api/doctors/{bad}/unavailability", {"date": TODAY}, "doctorId"),
        ("GET", f"/api/tokens/doctor/{bad}", None, "doctorId"),
        ("POST", f"/api/tokens/reallocate/{bad}", None, "doctorId"),
        ("GET", f"/api/commands/{bad}", None, "commandId"),
        ("POST", "/api/tokens", patient(doctorId=bad), "doctorId"),
        ("POST", "/api/tokens/emergency", patient(doctorId=bad), "doctorId"),
    ]
    cases: list[Case] = [(m, p, {"json": body}, 400, "INVALID_REQUEST", field) for m, p, body, field in requests]
    assert await mismatches(api, cases) == []


async def test_an_unknown_doctor_or_token_is_404(api: ApiClient, allocator: Running) -> None:
    requests = [
        ("GET", f"/api/doctors/{NIL}", None, "DOCTOR_NOT_FOUND"),
        ("GET", f"/api/doctors/{NIL}/schedule", None, "DOCTOR_NOT_FOUND"),
        ("PUT", f"/api/doctors/{NIL}/slots", HOURS, "DOCTOR_NOT_FOUND"),
        ("POST", f"/api/doctors/{NIL}/unavailability", {"date": TODAY}, "DOCTOR_NOT_FOUND"),
        ("GET", f"/api/tokens/doctor/{NIL}", None, "DOCTOR_NOT_FOUND"),
        ("POST", f"/api/tokens/reallocate/{NIL}", None, "DOCTOR_NOT_FOUND"),
        ("POST", "/api/tokens", patient(doctorId=NIL), "DOCTOR_NOT_FOUND"),
        ("POST", "/api/tokens/emergency", patient(doctorId=NIL), "DOCTOR_NOT_FOUND"),
        ("PUT", "/api/tokens/D9-20261201-T001/cancel", None, "TOKEN_NOT_FOUND"),
        ("PUT", f"/api/tokens/{NIL}/no-show", None, "TOKEN_NOT_FOUND"),
        ("GET", f"/api/tokens/{NIL}", None, "TOKEN_NOT_FOUND"),
        ("GET", "/api/tokens/D9-20261201-T001", None, "TOKEN_NOT_FOUND"),
    ]
    cases: list[Case] = [(m, p, {"json": body}, 404, code, None) for m, p, body, code in requests]
    assert await mismatches(api, cases) == []


# ------------------------------------------------------------------------------------------ POST /api/doctors


async def test_create_doctor_accepts_the_original_request_shape(api: ApiClient, allocator: Running) -> None:
    body = await call(
        api,
        "POST",
        "/api/doctors",
        201,
        json={
            "name": "Dr. Sharma",
            "specialization": "Cardiology",
            "timeSlots": [
                {"startTime": "09:00", "endTime": "10:00", "maxCapacity": 5},
                {"startTime": "10:00", "endTime": "11:00", "maxCapacity": 5},
            ],
            "workingDays": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
        },
    )
    doctor = body["doctor"]
    assert body["message"] == "Doctor created successfully"
    assert doctor["name"] == "Dr. Sharma"
    assert doctor["specialization"] == "Cardiology"
    assert doctor["code"].startswith("D")
    assert doctor["workingDays"] == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
    assert doctor["timeSlots"][0] == {
        "_id": doctor["timeSlots"][0]["id"],
        "id": doctor["timeSlots"][0]["id"],
        "currentCount": 0,
        "isActive": True,
        "startTime": "09:00",
        "endTime": "10:00",
        "maxCapacity": 5,
        "reservedEmergencySlots": 1,
        "quotas": {},
    }
    assert (await call(api, "GET", f"/api/doctors/{doctor['id']}", 200))["doctor"] == doctor


async def test_create_doctor_accepts_short_day_names_a_room_and_quotas(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(
        api,
        workingDays=["mon", "Tue", "WEDNESDAY"],
        room="OPD-4",
        timeSlots=[slot("09:00", "10:00", 6, quotas={"online": 3})],
    )
    assert doctor["workingDays"] == ["Monday", "Tuesday", "Wednesday"]
    assert doctor["room"] == "OPD-4"
    assert doctor["timeSlots"][0]["quotas"] == {"online": 3}


async def test_create_doctor_rejects_invalid_fields_with_400_naming_them(api: ApiClient) -> None:
    base = {"name": "Dr. Test", "specialization": "Cardiology", "timeSlots": [slot("09:00", "10:00", 4)]}
    changes: list[Change] = [
        ({"timeSlots": [slot("9am", "10:00", 4)]}, "timeSlots.0.startTime"),
        ({"timeSlots": [slot("10:00", "09:00", 4)]}, "timeSlots.0"),
        ({"timeSlots": [slot("09:00", "10:00", 0)]}, "timeSlots.0.maxCapacity"),
        ({"timeSlots": [slot("09:00", "10:00", "ten")]}, "timeSlots.0.maxCapacity"),  # type: ignore[arg-type]  # not a number, on purpose
        ({"timeSlots": [slot("09:00", "10:00", 4, reserved=4)]}, "timeSlots.0"),
        ({"timeSlots": [slot("09:00", "10:00", 4, reserved=-1)]}, "timeSlots.0.reservedEmergencySlots"),
        ({"timeSlots": [slot("09:00", "10:00", 4, quotas={"emergency": 1})]}, "timeSlots.0"),
        ({"timeSlots": [slot("09:00", "10:00", 4, quotas={"online": 4})]}, "timeSlots.0"),
        ({"timeSlots": [{"startTime": "09:00", "endTime": "10:00"}]}, "timeSlots.0.maxCapacity"),
        ({"timeSlots": []}, "timeSlots"),
        ({"timeSlots": "09:00-10:00"}, "timeSlots"),
        ({"workingDays": ["Funday"]}, "workingDays.0"),
        ({"workingDays": "Monday"}, "workingDays"),
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"specialization": ["Cardiology"]}, "specialization"),
        ({"hospital": "City"}, "hospital"),
    ]
    assert await mismatches(api, invalid("POST", "/api/doctors", base, changes)) == []


async def test_create_doctor_rejects_a_missing_specialization_with_400(api: ApiClient) -> None:
    body = {"name": "Dr. Test", "timeSlots": [slot("09:00", "10:00", 4)]}
    refusal = await refused(api, "POST", "/api/doctors", 400, "INVALID_REQUEST", json=body)
    assert [e["field"] for e in refusal["errors"]] == ["specialization"]


async def test_create_doctor_rejects_overlapping_slots_with_400(api: ApiClient) -> None:
    overlapping = [slot("09:00", "10:30", 4), slot("10:00", "11:00", 4)]
    body = {"name": "Dr. O", "specialization": "ENT", "timeSlots": overlapping}
    refusal = await refused(api, "POST", "/api/doctors", 400, "INVALID_REQUEST", json=body)
    assert refusal["errors"][0]["field"] == "timeSlots"
    assert "overlap" in refusal["errors"][0]["message"]


async def test_create_doctor_with_an_existing_id_is_409(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    await refused(
        api,
        "POST",
        "/api/doctors",
        409,
        "DOCTOR_EXISTS",
        json={
            "doctorId": doctor["id"],
            "name": "Dr. Again",
            "specialization": "ENT",
            "timeSlots": [slot("09:00", "10:00", 4)],
        },
    )


async def test_create_doctor_with_a_repeated_idempotency_key_creates_one_doctor(
    api: ApiClient, allocator: Running
) -> None:
    body = {"name": "Dr. Once", "specialization": "ENT", "timeSlots": [slot("09:00", "10:00", 4)]}
    headers = {"Idempotency-Key": "create-once"}
    first = await call(api, "POST", "/api/doctors", 201, json=body, headers=headers)
    second = await call(api, "POST", "/api/doctors", 201, json=body, headers=headers)
    assert second["doctor"] == first["doctor"]
    assert (await call(api, "GET", "/api/doctors", 200))["total"] == 1


async def test_create_doctor_reusing_an_idempotency_key_with_another_body_is_422(
    api: ApiClient, allocator: Running
) -> None:
    body = {"name": "Dr. Once", "specialization": "ENT", "timeSlots": [slot("09:00", "10:00", 4)]}
    headers = {"Idempotency-Key": "create-twice"}
    await call(api, "POST", "/api/doctors", 201, json=body, headers=headers)
    await refused(
        api, "POST", "/api/doctors", 422, "IDEMPOTENCY_KEY_REUSED", json={**body, "name": "Dr. Other"}, headers=headers
    )


# ------------------------------------------------------------------------------------------- GET /api/doctors


async def test_list_doctors_filters_by_specialization_ignoring_case(api: ApiClient, allocator: Running) -> None:
    await create_doctor(api, name="Dr. A", specialization="Cardiology")
    await create_doctor(api, name="Dr. B", specialization="Neurology")
    await create_doctor(api, name="Dr. C", specialization="Cardiology")
    body = await call(api, "GET", "/api/doctors?specialization=cardiology", 200)
    assert [d["name"] for d in body["doctors"]] == ["Dr. A", "Dr. C"]
    assert body["total"] == 2


async def test_list_doctors_pages_with_limit_and_offset(api: ApiClient, allocator: Running) -> None:
    for name in ("Dr. A", "Dr. B", "Dr. C"):
        await create_doctor(api, name=name)
    body = await call(api, "GET", "/api/doctors?limit=2&offset=1", 200)
    assert [d["name"] for d in body["doctors"]] == ["Dr. B", "Dr. C"]
    assert (body["total"], body["limit"], body["offset"]) == (3, 2, 1)
    beyond = await call(api, "GET", "/api/doctors?offset=5", 200)
    assert beyond["doctors"] == []


async def test_list_doctors_is_empty_for_an_unknown_specialization(api: ApiClient, allocator: Running) -> None:
    await create_doctor(api)
    body = await call(api, "GET", "/api/doctors?specialization=Dermatology", 200)
    assert (body["doctors"], body["total"]) == ([], 0)


async def test_list_doctors_rejects_bad_paging_with_400(api: ApiClient) -> None:
    queries = ["limit=abc", "limit=0", "limit=1000", "offset=-1", "offset=1.5"]
    assert (
        await mismatches(api, [("GET", f"/api/doctors?{q}", {}, 400, "INVALID_REQUEST", None) for q in queries]) == []
    )


# ----------------------------------------------------------------------------------- GET /api/doctors/:doctorId


async def test_get_doctor_returns_it(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, room="12")
    body = await call(api, "GET", f"/api/doctors/{doctor['id']}", 200)
    assert body["doctor"] == doctor


# -------------------------------------------------------------------------- GET /api/doctors/:doctorId/schedule


async def test_schedule_of_an_untouched_day_comes_from_the_templates(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=4, reserved=1)
    body = await call(api, "GET", f"/api/doctors/{doctor['id']}/schedule?date=2026-12-02", 200)
    assert body["date"] == "2026-12-02"
    assert body["workingDay"] is True
    morning = body["slots"][0]
    assert {k: morning[k] for k in ("startTime", "endTime", "maxCapacity", "reservedEmergencySlots")} == {
        "startTime": "09:00",
        "endTime": "10:00",
        "maxCapacity": 4,
        "reservedEmergencySlots": 1,
    }
    assert (morning["currentCount"], morning["waitlistCount"], morning["overflowUsed"]) == (0, 0, False)
    assert (morning["regularSeatsLeft"], morning["emergencySeatsLeft"], morning["status"]) == (3, 4, "available")


async def test_schedule_defaults_to_today(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    body = await call(api, "GET", f"/api/doctors/{doctor['id']}/schedule", 200)
    assert body["date"] == TODAY


async def test_schedule_shows_seats_used_reserved_overflow_and_waitlist(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=3, reserved=1)
    for name in ("A", "B", "C"):  # two seated, one waiting
        await book(api, doctor["id"], name, timeSlot=MORNING)
    await emergency(api, "E1", doctorId=doctor["id"])  # the reserved seat
    await emergency(api, "E2", doctorId=doctor["id"])  # the overflow seat

    morning = (await slots_of(api, doctor["id"]))[MORNING]
    assert morning["maxCapacity"] == 3
    assert morning["reservedEmergencySlots"] == 1
    assert (morning["currentCount"], morning["regularCount"], morning["emergencyCount"]) == (4, 2, 2)
    assert morning["overflowUsed"] is True
    assert morning["waitlistCount"] == 1
    assert (morning["regularSeatsLeft"], morning["emergencySeatsLeft"]) == (0, 0)
    assert morning["status"] == "full"


async def test_schedule_shows_quotas_and_quota_seats_left(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, timeSlots=[slot("09:00", "10:00", 6, quotas={"online": 3, "priority": 1})])
    await book(api, doctor["id"], "Online", source="online")

    morning = (await slots_of(api, doctor["id"]))[MORNING]
    assert morning["quotas"] == {"online": 3, "priority": 1}
    assert morning["quotaSeatsLeft"] == {"online": 2, "priority": 1}
    assert morning["regularSeatsLeft"] == 6 - 1 - 1 - 2 - 1  # booked, reserve, online and priority holds


async def test_schedule_of_a_day_off_has_no_slots(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    body = await call(api, "GET", f"/api/doctors/{doctor['id']}/schedule?date={SUNDAY}", 200)
    assert (body["workingDay"], body["slots"]) == (False, [])


async def test_schedule_rejects_a_bad_date_with_400(api: ApiClient) -> None:
    days = ["2026-13-01", "tomorrow", "01-12-2026", "2028-01-01", "1999-12-01"]  # last two: over a year away
    cases: list[Case] = [
        ("GET", f"/api/doctors/{NIL}/schedule?date={day}", {}, 400, "INVALID_REQUEST", "date") for day in days
    ]
    assert await mismatches(api, cases) == []


# ------------------------------------------------------------------------------ PUT /api/doctors/:doctorId/slots


async def test_replace_slots_changes_the_weekly_template(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    body = await call(
        api,
        "PUT",
        f"/api/doctors/{doctor['id']}/slots",
        200,
        json={"timeSlots": [{"startTime": "14:00", "endTime": "16:00", "maxCapacity": 8}], "workingDays": ["Mon"]},
    )
    assert body["message"] == "Doctor slots updated successfully"
    assert [s["startTime"] for s in body["doctor"]["timeSlots"]] == ["14:00"]
    assert body["doctor"]["workingDays"] == ["Monday"]
    assert body["rescheduled"] == {}
    assert (await call(api, "GET", f"/api/doctors/{doctor['id']}", 200))["doctor"] == body["doctor"]


async def test_replace_slots_reseats_booked_patients_and_reports_them(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)  # one regular seat per slot
    first = (await book(api, doctor["id"], "First", timeSlot=MORNING))["token"]
    second = (await book(api, doctor["id"], "Second", timeSlot=MORNING))["token"]
    assert second["status"] == "pending"

    body = await call(
        api, "PUT", f"/api/doctors/{doctor['id']}/slots", 200, json={"timeSlots": [slot("10:00", "11:00", 2)]}
    )
    assert body["rescheduled"] == {
        TODAY: {"moved": [first["tokenNumber"]], "waitlisted": [second["tokenNumber"]], "cancelled": []}
    }
    moved = await token(api, first["id"])
    assert (moved["status"], moved["timeSlot"]) == ("confirmed", {"startTime": "10:00", "endTime": "11:00"})
    waiting = await token(api, second["id"])
    assert (waiting["status"], waiting["waitlistPosition"]) == ("pending", 1)
    assert (await slots_of(api, doctor["id"]))[MORNING]["status"] == "cancelled"


async def test_replace_slots_cutting_capacity_moves_the_last_in_consultation_order(
    api: ApiClient, allocator: Running
) -> None:
    doctor = await one_slot_doctor(api, capacity=4, reserved=1)
    walkin = (await book(api, doctor["id"], "Walk-in", source="walkin"))["token"]
    paid = (await book(api, doctor["id"], "Paid", source="priority"))["token"]

    body = await call(
        api,
        "PUT",
        f"/api/doctors/{doctor['id']}/slots",
        200,
        json={"timeSlots": [slot("09:00", "10:00", 1, reserved=0), slot("10:00", "11:00", 2, reserved=1)]},
    )  # 09:00 now holds 1 seat for its 2 patients: the walk-in, seen last, moves on
    assert body["rescheduled"][TODAY]["moved"] == [walkin["tokenNumber"]]
    assert (await token(api, paid["id"]))["timeSlot"]["startTime"] == "09:00"
    assert (await token(api, walkin["id"]))["timeSlot"]["startTime"] == "10:00"


async def test_replace_slots_rejects_invalid_bodies_with_400(api: ApiClient) -> None:
    base = {"timeSlots": [slot("09:00", "10:00", 4)]}
    changes: list[Change] = [
        ({"timeSlots": None}, "timeSlots"),
        ({"timeSlots": []}, "timeSlots"),
        ({"timeSlots": [slot("09:00", "10:00", -1)]}, "timeSlots.0.maxCapacity"),
        ({"timeSlots": [slot("09:00", "25:00", 4)]}, "timeSlots.0.endTime"),
        ({"workingDays": ["Someday"]}, "workingDays.0"),
        ({"name": "Dr. Renamed"}, "name"),
    ]
    assert await mismatches(api, invalid("PUT", f"/api/doctors/{NIL}/slots", base, changes)) == []


async def test_replace_slots_rejects_overlaps_with_400(api: ApiClient) -> None:
    overlapping = {"timeSlots": [slot("09:00", "11:00", 4), slot("10:00", "12:00", 4)]}
    refusal = await refused(api, "PUT", f"/api/doctors/{NIL}/slots", 400, "INVALID_REQUEST", json=overlapping)
    assert refusal["errors"][0]["field"] == "timeSlots"


# ---------------------------------------------------------------------- POST /api/doctors/:doctorId/unavailability


async def test_unavailability_reseats_in_later_slots_and_waitlists_the_rest(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=3, reserved=1)  # two regular seats per slot
    colleague = await create_doctor(api, name="Dr. Colleague")
    first = (await book(api, doctor["id"], "First", timeSlot=MORNING, source="priority"))["token"]
    second = (await book(api, doctor["id"], "Second", timeSlot=MORNING))["token"]
    late = (await book(api, doctor["id"], "Late", timeSlot=LATE))["token"]

    result = await unavailable(api, doctor["id"], date=TODAY, startTime="09:00", endTime="10:00", reason="surgery")
    assert result["cancelledSlots"] == [MORNING]
    assert result["moved"] == [first["tokenNumber"]]
    assert result["waitlisted"] == [second["tokenNumber"]]
    assert result["cancelled"] == []
    assert result["changed"] is True
    assert [d["doctorId"] for d in result["suggestedDoctors"]] == [colleague["id"]]
    assert (await token(api, late["id"]))["status"] == "confirmed"
    assert (await token(api, second["id"]))["waitlistPosition"] == 1


async def test_unavailability_for_the_whole_day_cancels_every_token(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    booked = [(await book(api, doctor["id"], name, timeSlot=s))["token"] for name, s in (("A", MORNING), ("B", LATE))]

    result = await unavailable(api, doctor["id"], date=TODAY)
    assert result["cancelledSlots"] == [MORNING, LATE]
    assert result["cancelled"] == numbers(booked)
    assert result["suggestedDoctors"] == []  # no colleague of that specialization
    for t in booked:
        assert (await token(api, t["id"]))["status"] == "cancelled"
    await refused(api, "POST", "/api/tokens", 422, "SLOT_CANCELLED", json=patient(doctorId=doctor["id"], timeSlot=LATE))


async def test_unavailability_repeated_changes_nothing(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    await unavailable(api, doctor["id"], date="2026-12-02")
    again = await unavailable(api, doctor["id"], date="2026-12-02")
    assert (again["changed"], again["cancelledSlots"]) == (False, [])


async def test_unavailability_on_a_day_off_is_422(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    refusal = await unavailable(api, doctor["id"], 422, date=SUNDAY)
    assert refusal["code"] == "NOT_WORKING_DAY"


async def test_unavailability_in_the_past_is_422(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    refusal = await unavailable(api, doctor["id"], 422, date="2026-11-30")
    assert refusal["code"] == "DATE_OUT_OF_RANGE"


async def test_unavailability_rejects_invalid_bodies_with_400(api: ApiClient) -> None:
    base = {"date": TODAY}
    changes: list[Change] = [
        ({"date": None}, "date"),
        ({"date": "2026-12-32"}, "date"),
        ({"startTime": "09:00"}, ""),
        ({"startTime": "11:00", "endTime": "10:00"}, ""),
        ({"startTime": "late", "endTime": "11:00"}, "startTime"),
        ({"reason": ""}, "reason"),
        ({"until": "noon"}, "until"),
    ]
    assert await mismatches(api, invalid("POST", f"/api/doctors/{NIL}/unavailability", base, changes)) == []


# ---------------------------------------------------------------------------------------------- POST /api/tokens


async def test_book_accepts_the_original_request_shape(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    body = await book(api, doctor["id"], "Rahul", source="online", timeSlot={"startTime": "10:00", "endTime": "11:00"})
    t = body["token"]
    assert body["message"] == "Token created successfully"
    assert t["timeSlot"] == {"startTime": "10:00", "endTime": "11:00"}
    assert (t["source"], t["priority"], t["isEmergency"], t["status"]) == ("online", 4, False, "confirmed")
    assert t["tokenNumber"] == f"{doctor['code']}-20261201-T001"
    assert t["shortNumber"] == "T001"
    assert (t["position"], t["waitlistPosition"]) == (1, None)
    assert t["estimatedTime"] == "2026-12-01T10:00:00+05:30"
    assert body["commandId"]


async def test_book_accepts_the_time_slot_as_text(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    t = (await book(api, doctor["id"], "Rahul", timeSlot="10:00-11:00"))["token"]
    assert t["timeSlot"] == {"startTime": "10:00", "endTime": "11:00"}


async def test_book_defaults_to_a_walk_in_today(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    t = (await book(api, doctor["id"], "Rahul"))["token"]
    assert (t["source"], t["priority"], t["date"]) == ("walkin", 5, TODAY)


async def test_book_without_a_slot_takes_the_earliest_slot_with_a_seat(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    await book(api, doctor["id"], "First", timeSlot=MORNING)
    t = (await book(api, doctor["id"], "Second"))["token"]
    assert (t["status"], t["timeSlot"]["startTime"]) == ("confirmed", "10:00")


async def test_book_keeps_contact_details(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    details: dict[str, Any] = {
        "patientId": "MRN-77",
        "phone": "+91 98765 43210",
        "email": "asha@example.org",
        "language": "hi",
    }
    t = (await book(api, doctor["id"], "Asha", **details))["token"]
    assert {k: t[k] for k in details} == details


async def test_book_for_a_full_slot_waitlists_with_suggestions(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    colleague = await create_doctor(api, name="Dr. Colleague")
    await book(api, doctor["id"], "Seated", timeSlot=MORNING)
    body = await book(api, doctor["id"], "Waiting", timeSlot=MORNING)
    assert (body["token"]["status"], body["token"]["waitlistPosition"]) == ("pending", 1)
    assert (body["token"]["position"], body["token"]["estimatedTime"]) == (None, None)
    assert body["suggestedSlots"] == [LATER]
    assert [d["doctorId"] for d in body["suggestedDoctors"]] == [colleague["id"]]


async def test_book_for_a_full_slot_without_waitlist_is_409_and_creates_nothing(
    api: ApiClient, allocator: Running, pg: asyncpg.Connection
) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    colleague = await create_doctor(api, name="Dr. Colleague")
    await book(api, doctor["id"], "Seated", timeSlot=MORNING)

    refusal = await book(api, doctor["id"], "Refused", expect=409, timeSlot=MORNING, waitlist=False)
    assert refusal["code"] == "SLOT_FULL"
    assert refusal["suggestedSlots"] == [LATER]
    suggested = refusal["suggestedDoctors"][0]
    assert (suggested["doctorId"], suggested["timeSlot"], suggested["date"]) == (colleague["id"], MORNING, TODAY)
    assert await pg.fetchval("SELECT count(*) FROM tokens WHERE patient_name = 'Refused'") == 0


async def test_book_without_a_slot_or_waitlist_when_all_full_is_409(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    await book(api, doctor["id"], "A", timeSlot=MORNING)
    await book(api, doctor["id"], "B", timeSlot=LATE)
    refusal = await book(api, doctor["id"], "C", expect=409, waitlist=False)
    assert refusal["code"] == "NO_CAPACITY"
    assert refusal["suggestedSlots"] == []
    assert refusal["suggestedDoctors"] == []


async def test_book_a_duplicate_is_409_with_the_existing_token(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    first = (await book(api, doctor["id"], "Asha Verma"))["token"]
    refusal = await book(api, doctor["id"], "  asha   VERMA ", expect=409, timeSlot=LATE)
    assert refusal["code"] == "DUPLICATE_TOKEN"
    assert refusal["existingToken"]["id"] == first["id"]
    assert refusal["existingToken"]["tokenNumber"] == first["tokenNumber"]


async def test_book_a_duplicate_by_phone_is_409(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    first = (await book(api, doctor["id"], "Asha", phone="+91 98765 43210"))["token"]
    refusal = await book(api, doctor["id"], "A. Verma", expect=409, phone="098765-43210")
    assert refusal["existingToken"]["id"] == first["id"]


async def test_book_again_after_cancelling_is_allowed(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    first = (await book(api, doctor["id"], "Asha"))["token"]
    await cancel(api, first["id"])
    again = (await book(api, doctor["id"], "Asha"))["token"]
    assert again["id"] != first["id"]


async def test_book_on_a_day_off_is_422_with_the_next_slot(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    refusal = await book(api, doctor["id"], "Asha", expect=422, date=SUNDAY)
    assert refusal["code"] == "NOT_WORKING_DAY"
    assert refusal["nextSlot"] == {"date": "2026-12-07", "timeSlot": MORNING}


async def test_book_a_slot_not_in_the_schedule_is_422_with_the_next_slot(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    refusal = await book(api, doctor["id"], "Asha", expect=422, timeSlot="11:00-12:00")
    assert refusal["code"] == "SLOT_NOT_IN_SCHEDULE"
    assert refusal["slots"] == [MORNING, LATE]
    assert refusal["nextSlot"] == {"date": TODAY, "timeSlot": MORNING}


async def test_book_an_ended_slot_is_422_with_the_next_slot(
    api: ApiClient, allocator: Running, clock: ManualClock
) -> None:
    doctor = await create_doctor(api)
    clock.set(at(10, 15))
    refusal = await book(api, doctor["id"], "Asha", expect=422, timeSlot=MORNING)
    assert refusal["code"] == "SLOT_ENDED"
    assert refusal["nextSlot"] == {"date": TODAY, "timeSlot": LATE}


@pytest.mark.parametrize("day", ["2026-11-30", "2027-01-05"])
async def test_book_outside_the_booking_horizon_is_422_with_the_next_slot(
    api: ApiClient, allocator: Running, day: str
) -> None:
    doctor = await create_doctor(api)
    refusal = await book(api, doctor["id"], "Asha", expect=422, date=day)
    assert refusal["code"] == "DATE_OUT_OF_RANGE"
    assert (refusal["firstDate"], refusal["lastDate"]) == (TODAY, "2026-12-31")
    assert refusal["nextSlot"] == {"date": TODAY, "timeSlot": MORNING}


async def test_book_after_the_last_slot_ended_is_422_with_tomorrows_slot(
    api: ApiClient, allocator: Running, clock: ManualClock
) -> None:
    doctor = await create_doctor(api)
    clock.set(at(11, 30))
    refusal = await book(api, doctor["id"], "Asha", expect=422)
    assert refusal["code"] == "NO_OPEN_SLOT"
    assert refusal["nextSlot"] == {"date": "2026-12-02", "timeSlot": MORNING}


async def test_book_rejects_invalid_fields_with_400_naming_them(api: ApiClient) -> None:
    changes: list[Change] = [
        ({"patientAge": "forty"}, "patientAge"),
        ({"patientAge": 131}, "patientAge"),
        ({"patientAge": None}, "patientAge"),
        ({"patientName": "   "}, "patientName"),
        ({"patientName": 42}, "patientName"),
        ({"source": "vip"}, "source"),
        ({"timeSlot": "9 to 10"}, "timeSlot"),
        ({"timeSlot": "10:00-09:00"}, "timeSlot"),
        ({"timeSlot": {"startTime": "09:00"}}, "timeSlot.endTime"),
        ({"timeSlot": ["09:00", "10:00"]}, "timeSlot"),
        ({"date": "2026-02-30"}, "date"),
        ({"date": 20261201}, "date"),
        ({"waitlist": "maybe"}, "waitlist"),
        ({"phone": "call me"}, "phone"),
        ({"email": "nobody"}, "email"),
        ({"language": "fr"}, "language"),
        ({"priority": 1}, "priority"),
        ({"doctorId": 7}, "doctorId"),
    ]
    assert await mismatches(api, invalid("POST", "/api/tokens", patient(doctorId=NIL), changes)) == []


async def test_book_rejects_a_missing_doctor_with_400(api: ApiClient) -> None:
    refusal = await refused(api, "POST", "/api/tokens", 400, "INVALID_REQUEST", json=patient())
    assert [e["field"] for e in refusal["errors"]] == ["doctorId"]


async def test_book_replays_the_first_answer_for_a_repeated_idempotency_key(
    api: ApiClient, allocator: Running, pg: asyncpg.Connection
) -> None:
    doctor = await create_doctor(api)
    body = patient(doctorId=doctor["id"])
    headers = {"Idempotency-Key": "book-1"}
    first = await call(api, "POST", "/api/tokens", 201, json=body, headers=headers)
    second = await call(api, "POST", "/api/tokens", 201, json=body, headers=headers)
    assert second == first
    assert await pg.fetchval("SELECT count(*) FROM tokens") == 1


async def test_book_reusing_an_idempotency_key_with_another_body_is_422(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    headers = {"Idempotency-Key": "book-2"}
    await call(api, "POST", "/api/tokens", 201, json=patient("One", doctorId=doctor["id"]), headers=headers)
    await refused(
        api,
        "POST",
        "/api/tokens",
        422,
        "IDEMPOTENCY_KEY_REUSED",
        json=patient("Two", doctorId=doctor["id"]),
        headers=headers,
    )


async def test_book_with_source_emergency_follows_the_emergency_rules(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    await book(api, doctor["id"], "Seated", timeSlot=MORNING)
    t = (await book(api, doctor["id"], "Urgent", source="emergency", timeSlot=MORNING))["token"]
    assert (t["status"], t["isEmergency"], t["shortNumber"], t["position"]) == ("confirmed", True, "E01", 1)


# ---------------------------------------------------------------------------------- POST /api/tokens/emergency


async def test_emergency_takes_a_reserved_seat_first(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    await book(api, doctor["id"], "Seated", timeSlot=MORNING)  # the one regular seat
    t = (await emergency(api, "E1", doctorId=doctor["id"]))["token"]
    assert (t["status"], t["timeSlot"]["startTime"], t["overflow"]) == ("confirmed", "09:00", False)
    assert (t["priority"], t["isEmergency"], t["position"]) == (1, True, 1)
    assert t["tokenNumber"].endswith("-E01")


async def test_emergency_takes_the_overflow_seat_when_the_slot_is_full(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    await book(api, doctor["id"], "Seated", timeSlot=MORNING)
    await emergency(api, "E1", doctorId=doctor["id"])
    t = (await emergency(api, "E2", doctorId=doctor["id"]))["token"]
    assert (t["timeSlot"]["startTime"], t["overflow"]) == ("09:00", True)
    assert (await slots_of(api, doctor["id"]))[MORNING]["currentCount"] == 3


async def test_emergency_goes_to_the_next_slot_once_the_overflow_is_used(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    await book(api, doctor["id"], "Seated", timeSlot=MORNING)
    await emergency(api, "E1", doctorId=doctor["id"])
    await emergency(api, "E2", doctorId=doctor["id"])
    t = (await emergency(api, "E3", doctorId=doctor["id"]))["token"]
    assert (t["timeSlot"]["startTime"], t["overflow"]) == ("10:00", False)


async def test_emergency_with_no_seat_left_is_409_suggesting_a_colleague(api: ApiClient, allocator: Running) -> None:
    doctor = await one_slot_doctor(api, capacity=1, reserved=0)
    colleague = await create_doctor(api, name="Dr. Colleague")
    await create_doctor(api, name="Dr. Other field", specialization="Neurology")
    await emergency(api, "E1", doctorId=doctor["id"])
    await emergency(api, "E2", doctorId=doctor["id"])  # overflow

    refusal = await emergency(api, "E3", expect=409, doctorId=doctor["id"])
    assert refusal["code"] == "NO_EMERGENCY_CAPACITY"
    assert [(d["doctorId"], d["specialization"]) for d in refusal["suggestedDoctors"]] == [
        (colleague["id"], "Cardiology")
    ]


async def test_emergency_honours_a_requested_slot(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    t = (await emergency(api, "E1", doctorId=doctor["id"], timeSlot={"startTime": "10:00", "endTime": "11:00"}))[
        "token"
    ]
    assert t["timeSlot"]["startTime"] == "10:00"


async def test_emergency_is_seen_before_regular_patients(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=4)
    regular = (await book(api, doctor["id"], "Regular", timeSlot=MORNING))["token"]
    await emergency(api, "E1", doctorId=doctor["id"])
    assert (await token(api, regular["id"]))["position"] == 2


async def test_emergency_on_a_day_off_is_422(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    refusal = await emergency(api, "E1", expect=422, doctorId=doctor["id"], date=SUNDAY)
    assert refusal["code"] == "NOT_WORKING_DAY"


async def test_emergency_for_a_patient_holding_a_token_is_409(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    await book(api, doctor["id"], "Asha")
    refusal = await call(
        api,
        "POST",
        "/api/tokens/emergency",
        409,
        json={"doctorId": doctor["id"], "patientName": "Asha", "patientAge": 40},
    )
    assert refusal["code"] == "DUPLICATE_TOKEN"


async def test_emergency_by_specialization_picks_the_doctor_who_can_see_the_patient_earliest(
    api: ApiClient, allocator: Running
) -> None:
    await create_doctor(api, name="Dr. A Late", specialization="Neurology", timeSlots=[slot("10:00", "11:00", 4)])
    early = await create_doctor(
        api, name="Dr. Z Early", specialization="Neurology", timeSlots=[slot("09:00", "10:00", 4)]
    )
    t = (await emergency(api, "E1", specialization="neurology"))["token"]
    assert (t["doctorId"], t["timeSlot"]["startTime"]) == (early["id"], "09:00")


async def test_emergency_by_specialization_skips_a_doctor_with_no_emergency_seat(
    api: ApiClient, allocator: Running
) -> None:
    late = await create_doctor(
        api, name="Dr. A Late", specialization="Neurology", timeSlots=[slot("10:00", "11:00", 4)]
    )
    early = await create_doctor(
        api, name="Dr. Z Early", specialization="Neurology", timeSlots=[slot("09:00", "10:00", 1, reserved=0)]
    )
    await emergency(api, "E1", doctorId=early["id"])
    await emergency(api, "E2", doctorId=early["id"])  # overflow: the early doctor is exhausted
    t = (await emergency(api, "E3", specialization="Neurology"))["token"]
    assert t["doctorId"] == late["id"]


async def test_emergency_by_specialization_with_nobody_available_is_409(api: ApiClient, allocator: Running) -> None:
    await create_doctor(api, specialization="Cardiology")
    refusal = await emergency(api, "E1", expect=409, specialization="Dermatology")
    assert refusal["code"] == "NO_EMERGENCY_CAPACITY"
    assert refusal["suggestedDoctors"] == []


async def test_emergency_by_specialization_rejects_invalid_fields_with_400(api: ApiClient, allocator: Running) -> None:
    base = {"patientName": "E1", "patientAge": 60, "specialization": "Dermatology"}  # nobody: still a 400, not 409
    changes: list[Change] = [
        ({"patientAge": "old"}, "patientAge"),
        ({"date": 20261201}, "date"),
        ({"date": "someday"}, "date"),
        ({"timeSlot": "morning"}, "timeSlot"),
        ({"source": "walkin"}, "source"),
    ]
    assert await mismatches(api, invalid("POST", "/api/tokens/emergency", base, changes)) == []


async def test_emergency_rejects_invalid_bodies_with_400(api: ApiClient) -> None:
    base = {"patientName": "E1", "patientAge": 60, "doctorId": NIL}
    changes: list[Change] = [
        ({"doctorId": None}, "doctorId"),
        ({"doctorId": None, "specialization": 5}, "specialization"),
        ({"patientAge": None}, "patientAge"),
        ({"waitlist": False}, "waitlist"),
        ({"timeSlot": "now"}, "timeSlot"),
    ]
    cases = invalid("POST", "/api/tokens/emergency", base, changes)
    without_doctor = {"patientName": "E1", "patientAge": 60}
    cases.append(("POST", "/api/tokens/emergency", {"json": without_doctor}, 400, "INVALID_REQUEST", "doctorId"))
    assert await mismatches(api, cases) == []


# --------------------------------------------------------------------------------- PUT /api/tokens/:tokenId/cancel


async def test_cancel_by_id_frees_the_seat(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    t = (await book(api, doctor["id"], "Asha"))["token"]
    body = await cancel(api, t["id"], json={"reason": "feeling better"})
    assert (body["token"]["id"], body["token"]["status"], body["seatFreed"]) == (t["id"], "cancelled", True)
    assert (await slots_of(api, doctor["id"]))[MORNING]["currentCount"] == 0


async def test_cancel_by_token_number_without_a_body(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    t = (await book(api, doctor["id"], "Asha"))["token"]
    body = await cancel(api, t["tokenNumber"].lower())
    assert (body["token"]["id"], body["token"]["status"]) == (t["id"], "cancelled")


async def test_cancel_a_waitlisted_token_frees_no_seat(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    await book(api, doctor["id"], "Seated", timeSlot=MORNING)
    waiting = (await book(api, doctor["id"], "Waiting", timeSlot=MORNING))["token"]
    assert (await cancel(api, waiting["id"]))["seatFreed"] is False


async def test_cancel_promotes_the_best_waiting_patient(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    seated = (await book(api, doctor["id"], "Seated", timeSlot=MORNING))["token"]
    walkin = (await book(api, doctor["id"], "Walk-in", timeSlot=MORNING, source="walkin"))["token"]
    followup = (await book(api, doctor["id"], "Follow-up", timeSlot=MORNING, source="followup"))["token"]
    assert (await token(api, followup["id"]))["waitlistPosition"] == 1

    await cancel(api, seated["id"])
    assert (await token(api, followup["id"]))["status"] == "confirmed"
    assert (await token(api, walkin["id"]))["waitlistPosition"] == 1


async def test_cancel_a_cancelled_token_is_409(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    t = (await book(api, doctor["id"], "Asha"))["token"]
    await cancel(api, t["id"])
    refusal = await cancel(api, t["id"], 409)
    assert (refusal["code"], refusal["status"]) == ("INVALID_TRANSITION", "cancelled")


async def test_cancel_a_completed_token_is_409(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    t = (await book(api, doctor["id"], "Asha"))["token"]
    seen = await api.put(f"/api/tokens/{t['id']}/complete")  # seen by the doctor
    assert seen.status == 200, await seen.text()
    refusal = await cancel(api, t["tokenNumber"], 409)
    assert (refusal["code"], refusal["status"]) == ("INVALID_TRANSITION", "completed")


async def test_cancel_rejects_invalid_bodies_with_400(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    t = (await book(api, doctor["id"], "Asha"))["token"]
    changes: list[Change] = [
        ({"reason": 5}, "reason"),
        ({"reason": ""}, "reason"),
        ({"reason": "x" * 301}, "reason"),
        ({"why": "moved away"}, "why"),
    ]
    assert await mismatches(api, invalid("PUT", f"/api/tokens/{t['id']}/cancel", {}, changes)) == []
    assert (await token(api, t["id"]))["status"] == "confirmed"


# -------------------------------------------------------------------------------- PUT /api/tokens/:tokenId/no-show


async def test_no_show_after_the_slot_started_frees_the_seat_for_the_waiting_patient(
    api: ApiClient, allocator: Running, clock: ManualClock
) -> None:
    doctor = await one_slot_doctor(api, capacity=3, reserved=1)
    absent = (await book(api, doctor["id"], "Absent", source="priority"))["token"]
    await book(api, doctor["id"], "Present", source="priority")
    await emergency(api, "E1", doctorId=doctor["id"])  # takes the reserve: nothing is released at 09:00
    waiting = (await book(api, doctor["id"], "Waiting"))["token"]
    assert waiting["status"] == "pending"

    clock.set(at(9, 5))
    body = await no_show(api, absent["tokenNumber"])
    assert (body["token"]["status"], body["seatFreed"]) == ("no_show", True)
    promoted = await token(api, waiting["id"])
    assert (promoted["status"], promoted["position"]) == ("confirmed", 3)


async def test_no_show_before_the_slot_starts_is_409(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    t = (await book(api, doctor["id"], "Asha"))["token"]
    refusal = await no_show(api, t["id"], 409)
    assert refusal["code"] == "SLOT_NOT_STARTED"
    assert refusal["startsAt"] == "2026-12-01T09:00:00+05:30"
    assert (await token(api, t["id"]))["status"] == "confirmed"


async def test_no_show_of_a_waitlisted_token_is_409(api: ApiClient, allocator: Running, clock: ManualClock) -> None:
    doctor = await one_slot_doctor(api, capacity=2, reserved=1)
    await book(api, doctor["id"], "Seated")
    await emergency(api, "E1", doctorId=doctor["id"])
    waiting = (await book(api, doctor["id"], "Waiting"))["token"]
    clock.set(at(9, 5))
    refusal = await no_show(api, waiting["id"], 409)
    assert (refusal["code"], refusal["status"]) == ("INVALID_TRANSITION", "pending")


async def test_no_show_of_a_cancelled_token_is_409(api: ApiClient, allocator: Running, clock: ManualClock) -> None:
    doctor = await create_doctor(api)
    t = (await book(api, doctor["id"], "Asha"))["token"]
    await cancel(api, t["id"])
    clock.set(at(9, 30))
    assert (await no_show(api, t["id"], 409))["code"] == "INVALID_TRANSITION"


# ---------------------------------------------------------------------------- GET /api/tokens/doctor/:doctorId


async def test_doctor_tokens_are_listed_in_consultation_order(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=4)
    await book(api, doctor["id"], "Walk-in", source="walkin", timeSlot=MORNING)
    await book(api, doctor["id"], "Late online", source="online", timeSlot=LATE)
    await book(api, doctor["id"], "Paid", source="priority", timeSlot=MORNING)
    await emergency(api, "Emergency", doctorId=doctor["id"])

    body = await call(api, "GET", f"/api/tokens/doctor/{doctor['id']}?date={TODAY}", 200)
    assert [t["patientName"] for t in body["tokens"]] == ["Emergency", "Paid", "Walk-in", "Late online"]
    assert [t["position"] for t in body["tokens"]] == [1, 2, 3, 1]
    assert (body["count"], body["date"]) == (4, TODAY)


async def test_doctor_tokens_filter_by_status(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    await book(api, doctor["id"], "Seated", timeSlot=MORNING)
    await book(api, doctor["id"], "Waiting", timeSlot=MORNING)
    body = await call(api, "GET", f"/api/tokens/doctor/{doctor['id']}?status=pending", 200)
    assert [(t["patientName"], t["waitlistPosition"]) for t in body["tokens"]] == [("Waiting", 1)]


async def test_doctor_tokens_of_another_day_are_empty(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    await book(api, doctor["id"], "Today")
    body = await call(api, "GET", f"/api/tokens/doctor/{doctor['id']}?date=2026-12-02", 200)
    assert (body["tokens"], body["count"]) == ([], 0)


async def test_doctor_tokens_reject_bad_query_params_with_400(api: ApiClient) -> None:
    queries = ["status=done", "status=CONFIRMED", "date=2026-12-99", "date=yesterday"]
    cases: list[Case] = [("GET", f"/api/tokens/doctor/{NIL}?{q}", {}, 400, "INVALID_REQUEST", None) for q in queries]
    assert await mismatches(api, cases) == []


# ----------------------------------------------------------------------------------------- GET /api/tokens/:tokenId


async def test_get_token_by_id_and_by_token_number_agree(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    t = (await book(api, doctor["id"], "Asha"))["token"]
    t.pop("estimatedWaitTime")  # a new token's only
    assert await token(api, t["id"]) == t
    assert await token(api, t["tokenNumber"]) == t
    assert await token(api, t["tokenNumber"].lower()) == t


async def test_get_token_shows_the_waitlist_position_when_pending(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    await book(api, doctor["id"], "Seated", timeSlot=MORNING)
    await book(api, doctor["id"], "First waiting", timeSlot=MORNING)
    second = (await book(api, doctor["id"], "Second waiting", timeSlot=MORNING))["token"]
    shown = await token(api, second["tokenNumber"])
    assert (shown["status"], shown["waitlistPosition"], shown["position"], shown["estimatedTime"]) == (
        "pending",
        2,
        None,
        None,
    )


# ------------------------------------------------------------------------------ POST /api/tokens/reallocate/:id


async def test_reallocate_promotes_into_released_reserve_and_is_idempotent(
    api: ApiClient, allocator: Running, clock: ManualClock
) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)
    await book(api, doctor["id"], "Seated", timeSlot=MORNING)
    waiting = (await book(api, doctor["id"], "Waiting", timeSlot=MORNING))["token"]

    clock.set(at(9, 1))  # the slot started: its unused reserved seat is released
    first = await reallocate(api, doctor["id"])
    assert (first["promoted"], first["changed"]) == ([waiting["tokenNumber"]], True)
    assert (await token(api, waiting["id"]))["status"] == "confirmed"

    second = await reallocate(api, doctor["id"])
    assert (second["promoted"], second["moved"], second["cancelled"], second["changed"]) == ([], [], [], False)


async def test_reallocate_rolls_an_ended_slots_waitlist_into_the_next_slot(
    api: ApiClient, allocator: Running, clock: ManualClock
) -> None:
    doctor = await create_doctor(api, capacity=3, reserved=1)
    await book(api, doctor["id"], "A", timeSlot=MORNING)
    await book(api, doctor["id"], "B", timeSlot=MORNING)
    await emergency(api, "E1", doctorId=doctor["id"])  # holds the reserve
    waiting = (await book(api, doctor["id"], "Waiting", timeSlot=MORNING))["token"]

    clock.set(at(10, 5))
    result = await reallocate(api, doctor["id"], json={"date": TODAY})
    assert result["moved"] == [waiting["tokenNumber"]]
    assert result["date"] == TODAY
    moved = await token(api, waiting["id"])
    assert (moved["timeSlot"]["startTime"], moved["status"]) == ("10:00", "confirmed")


async def test_reallocate_with_nothing_to_do_changes_nothing(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    await book(api, doctor["id"], "Asha")
    result = await reallocate(api, doctor["id"])
    assert (result["changed"], result["doctorId"]) == (False, doctor["id"])


async def test_reallocate_rejects_invalid_bodies_with_400(api: ApiClient) -> None:
    changes: list[Change] = [({"date": "soon"}, "date"), ({"date": 5}, "date"), ({"force": True}, "force")]
    assert await mismatches(api, invalid("POST", f"/api/tokens/reallocate/{NIL}", {}, changes)) == []


# ------------------------------------------------------------------------------------ GET /api/commands/:commandId


async def test_command_status_shows_the_stored_answer(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    booked = await book(api, doctor["id"], "Asha")
    body = await call(api, "GET", f"/api/commands/{booked['commandId']}", 201)
    assert body == booked


async def test_command_status_shows_a_stored_refusal(api: ApiClient, allocator: Running) -> None:
    refusal = await book(api, NIL, "Nobody", expect=404)
    body = await refused(api, "GET", f"/api/commands/{refusal['commandId']}", 404, "DOCTOR_NOT_FOUND")
    assert body["commandId"] == refusal["commandId"]


async def test_command_status_of_an_unknown_command_is_404_not_an_endless_pending(api: ApiClient) -> None:
    body = await refused(api, "GET", f"/api/commands/{NIL}", 404, "NOT_FOUND")
    assert body["commandId"] == NIL
    await refused(api, "GET", f"/api/commands/{NIL}?receipt=1764556200.0123456789abcdef", 404, "NOT_FOUND")


# ------------------------------------------------------------------------------------------------------- health


async def test_health_and_readiness(api: ApiClient) -> None:
    assert (await call(api, "GET", "/healthz", 200))["status"] == "ok"
    ready = await call(api, "GET", "/readyz", 200)
    assert ready["checks"] == {"database": "ok", "broker": "ok"}
