"""The FHIR R4 scheduling API: every emitted resource validates; roles, cancel codes and errors are REST's."""

from typing import Any

from tests.conftest import API_KEYS
from tests.support.api import ApiClient, book, create_doctor
from tests.support.fhir import MEDIA_TYPE, error_code, fhir_json
from tests.support.services import Running

ANONYMOUS = {"X-API-Key": ""}
BOOKING = {"X-API-Key": API_KEYS["booking"]}
STAFF = {"X-API-Key": API_KEYS["staff"]}
TODAY = "2026-12-01"  # the test clock's day, a Tuesday


def _appointment(doctor_id: str, name: str, slot: str | None = None, **more: Any) -> dict[str, Any]:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "participant": [
            {
                "actor": {
                    "type": "Patient",
                    "display": name,
                    "identifier": {"system": "urn:opd:patient-id", "value": name},
                },
                "extension": [{"url": "urn:opd:fhir:extension:patient-age", "valueInteger": 52}],
                "status": "accepted",
            },
            {"actor": {"reference": f"Practitioner/{doctor_id}"}, "status": "accepted"},
        ],
        **({"slot": [{"reference": f"Slot/{slot}"}]} if slot else {}),
        **more,
    }


async def _post(api: ApiClient, body: dict[str, Any], headers: dict[str, str], status: int) -> dict[str, Any]:
    response = await api.post("/fhir/Appointment", json=body, headers={**headers, "Content-Type": MEDIA_TYPE})
    return await fhir_json(response, status)


async def test_every_resource_validates_and_maps_our_fields(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, room="OPD-3")
    await book(api, doctor["id"], "Asha Verma", phone="+91 98765 43210")
    capability = await fhir_json(await api.get("/fhir/metadata", headers=ANONYMOUS), 200)
    assert [r["type"] for r in capability["rest"][0]["resource"]] == ["Practitioner", "Schedule", "Slot", "Appointment"]

    practitioner = await fhir_json(await api.get(f"/fhir/Practitioner/{doctor['id']}", headers=ANONYMOUS), 200)
    assert practitioner["name"] == [{"text": "Dr. Test"}]
    assert practitioner["qualification"][0]["code"]["text"] == "Cardiology"
    by_specialty = await fhir_json(await api.get("/fhir/Practitioner?specialty=cardiology", headers=ANONYMOUS), 200)
    assert [e["resource"]["id"] for e in by_specialty["entry"]] == [doctor["id"]]
    none = await fhir_json(await api.get("/fhir/Practitioner?specialty=ENT", headers=ANONYMOUS), 200)
    assert none["total"] == 0 and "entry" not in none  # FHIR JSON has no empty arrays

    schedule = await fhir_json(await api.get(f"/fhir/Schedule/{doctor['id']}", headers=ANONYMOUS), 200)
    assert schedule["actor"][0]["reference"] == f"Practitioner/{doctor['id']}"
    assert schedule["comment"].startswith("Monday, Tuesday") and "09:00-10:00 (4 seats)" in schedule["comment"]

    slots = await fhir_json(await api.get(f"/fhir/Slot?schedule=Schedule/{doctor['id']}&start={TODAY}"), 200)
    first = slots["entry"][0]["resource"]
    assert slots["total"] == 2 and first["status"] == "free"
    assert first["start"] == f"{TODAY}T09:00:00+05:30" and first["end"] == f"{TODAY}T10:00:00+05:30"
    assert first["extension"][0]["valueInteger"] == 2  # 4 seats, 1 kept for emergencies, 1 taken
    assert first == await fhir_json(await api.get(f"/fhir/Slot/{first['id']}", headers=ANONYMOUS), 200)

    day = await fhir_json(await api.get(f"/fhir/Appointment?practitioner={doctor['id']}&date={TODAY}"), 200)
    token = day["entry"][0]["resource"]
    assert (
        token["status"] == "booked"
        and token["priority"] == 5
        and token["slot"] == [{"reference": f"Slot/{first['id']}"}]
    )
    assert token["participant"][0]["actor"] == {
        "type": "Patient",
        "display": "Asha Verma",
        "identifier": {"system": "urn:opd:phone", "value": "+91 98765 43210"},
    }
    assert token["start"] == f"{TODAY}T09:00:00+05:30"  # the ETA of the first patient: the slot's start
    await fhir_json(await api.get(f"/fhir/Appointment/{token['id']}"), 200)
    missing = await fhir_json(await api.get("/fhir/Appointment/not-a-token"), 404)
    assert error_code(missing) == "TOKEN_NOT_FOUND"


async def test_the_public_sees_slots_and_practitioners_never_patients(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    booked = await book(api, doctor["id"], "Private Person")
    token, code = booked["token"]["id"], booked["cancelCode"]
    search = f"/fhir/Appointment?practitioner=Practitioner/{doctor['id']}"
    unauthenticated = await fhir_json(await api.get(search, headers=ANONYMOUS), 401)
    assert error_code(unauthenticated) == "UNAUTHENTICATED" and unauthenticated["issue"][0]["code"] == "login"
    assert error_code(await fhir_json(await api.get(search, headers=BOOKING), 403)) == "FORBIDDEN"
    assert error_code(await fhir_json(await api.get(f"/fhir/Appointment/{token}", headers=ANONYMOUS), 401))
    wrong = await api.get(f"/fhir/Appointment/{token}", headers={**BOOKING, "X-Cancel-Code": "AAAAA-AAAAA"})
    assert error_code(await fhir_json(wrong, 403)) == "INVALID_CANCEL_CODE"
    accented = await api.get(f"/fhir/Appointment/{token}?code=%C3%A9", headers=ANONYMOUS)  # found by the fuzzer
    assert error_code(await fhir_json(accented, 403)) == "INVALID_CANCEL_CODE"
    own = await fhir_json(await api.get(f"/fhir/Appointment/{token}?code={code}", headers=ANONYMOUS), 200)
    assert own["participant"][0]["actor"]["display"] == "Private Person"
    slots = await api.get(f"/fhir/Slot?schedule={doctor['id']}", headers=ANONYMOUS)
    assert "Private" not in await slots.text()
    bad_key = await fhir_json(await api.get("/fhir/metadata", headers={"X-API-Key": "nobody"}), 401)
    assert error_code(bad_key) == "INVALID_API_KEY"


async def test_booking_and_cancelling_go_the_rest_way(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    slot = (await (await api.get(f"/fhir/Slot?schedule={doctor['id']}&status=free")).json())["entry"][1]["resource"]
    created = await _post(api, _appointment(doctor["id"], "Ravi Kumar", slot["id"]), BOOKING, 201)
    assert created["status"] == "booked" and created["start"].endswith("T10:00:00+05:30")
    assert created["participant"][0]["actor"]["identifier"]["value"] == "Ravi Kumar"  # the patient id
    code = next(e["valueString"] for e in created["extension"] if e["url"] == "urn:opd:fhir:extension:cancel-code")
    again = await _post(api, _appointment(doctor["id"], "Ravi Kumar", slot["id"]), BOOKING, 409)
    assert error_code(again) == "DUPLICATE_TOKEN" and again["issue"][0]["code"] == "duplicate"
    emergency = _appointment(doctor["id"], "Booking Emergency", extension=[])
    emergency["extension"] = [{"url": "urn:opd:fhir:extension:token-source", "valueCode": "emergency"}]
    assert error_code(await _post(api, emergency, BOOKING, 403)) == "FORBIDDEN"
    sunday = _appointment(doctor["id"], "Sunday Patient", start="2026-12-06T09:00:00+05:30")
    assert error_code(await _post(api, sunday, BOOKING, 422)) == "NOT_WORKING_DAY"
    assert error_code(await _post(api, {"resourceType": "Appointment", "status": "booked"}, BOOKING, 400))

    patch = [{"op": "replace", "path": "/status", "value": "cancelled"}]
    path = f"/fhir/Appointment/{created['id']}"
    patch_type = {"Content-Type": "application/json-patch+json"}
    uncoded = await api.patch(path, json=patch, headers={**BOOKING, **patch_type})
    assert error_code(await fhir_json(uncoded, 403)) == "FORBIDDEN"
    other = [{"op": "replace", "path": "/start", "value": "2026-12-01T11:00:00+05:30"}]
    assert (await api.patch(path, json=other, headers={**STAFF, **patch_type})).status == 400
    coded = await api.patch(path, json=patch, headers={**BOOKING, **patch_type, "X-Cancel-Code": code})
    assert (await fhir_json(coded, 200))["status"] == "cancelled"
    twice = await api.put(path, json={**created, "status": "cancelled"}, headers={**STAFF, "Content-Type": MEDIA_TYPE})
    assert error_code(await fhir_json(twice, 409)) == "INVALID_TRANSITION"


async def test_a_put_cancels_and_the_waiting_patient_is_promoted(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=1)  # one regular seat a slot
    slot = (await (await api.get(f"/fhir/Slot?schedule={doctor['id']}&_count=1")).json())["entry"][0]["resource"]
    seated = await _post(api, _appointment(doctor["id"], "First Patient", slot["id"]), STAFF, 201)
    waiting = await _post(api, _appointment(doctor["id"], "Second Patient", slot["id"]), STAFF, 201)
    assert (seated["status"], waiting["status"]) == ("booked", "waitlist")
    full = await fhir_json(await api.get(f"/fhir/Slot?schedule={doctor['id']}&start={TODAY}&status=busy"), 200)
    assert [e["resource"]["id"] for e in full["entry"]] == [slot["id"]]
    cancelling = {**seated, "status": "cancelled", "cancelationReason": {"text": "feeling better"}}
    put = await api.put(f"/fhir/Appointment/{seated['id']}", json=cancelling, headers={"Content-Type": MEDIA_TYPE})
    assert (await fhir_json(put, 200))["status"] == "cancelled"
    promoted = await fhir_json(await api.get(f"/fhir/Appointment/{waiting['id']}"), 200)
    assert promoted["status"] == "booked"


async def test_searches_page_and_refuse_what_they_do_not_support(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    week = f"/fhir/Slot?schedule=Schedule/{doctor['id']}&start=ge{TODAY}&start=le2026-12-07&_count=5"
    first = await fhir_json(await api.get(week), 200)
    assert first["total"] == 12 and len(first["entry"]) == 5  # six working days, two slots each
    links = {link["relation"]: link["url"] for link in first["link"]}
    assert links.keys() == {"self", "first", "next"}
    assert links["next"].count("start=") == 2
    second = await fhir_json(await api.get(links["next"].removeprefix(str(api.make_url("")))), 200)
    assert {link["relation"] for link in second["link"]} == {"self", "first", "previous", "next"}
    assert second["entry"][0]["resource"]["start"].startswith("2026-12-03T10:00")
    for query, code in (
        ("/fhir/Slot?foo=1", "INVALID_REQUEST"),
        ("/fhir/Slot?start=tomorrow", "INVALID_REQUEST"),
        ("/fhir/Slot?start=9999-12-31T23:59:59-23:59", "INVALID_REQUEST"),
        ("/fhir/Slot?status=open", "INVALID_REQUEST"),
        ("/fhir/Slot?start=ge2026-12-01&start=le2027-03-01", "INVALID_REQUEST"),
        ("/fhir/Appointment?date=2026-12-01", "INVALID_REQUEST"),
        ("/fhir/Practitioner?_count=0", "INVALID_REQUEST"),
        ("/fhir/Slot/nonsense", "NOT_FOUND"),
        ("/fhir/Patient/1", "NOT_FOUND"),
    ):
        outcome = await api.get(query)
        assert error_code(await fhir_json(outcome, 404 if code == "NOT_FOUND" else 400)) == code, query
    deleted = await api.delete(f"/fhir/Appointment/{doctor['id']}")
    assert error_code(await fhir_json(deleted, 405)) == "METHOD_NOT_ALLOWED"


async def test_a_retry_books_once_and_a_slow_allocator_gets_a_202(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    body, retry = _appointment(doctor["id"], "Retrying Patient"), {"Idempotency-Key": "emr-order-7"}
    first = await _post(api, body, {**BOOKING, **retry}, 201)
    assert (await _post(api, body, {**BOOKING, **retry}, 201))["id"] == first["id"]
    await allocator.shutdown()
    slow = await api.post(
        "/fhir/Appointment", json=_appointment(doctor["id"], "Later Patient"), headers={"Content-Type": MEDIA_TYPE}
    )
    outcome = await fhir_json(slow, 202)
    assert outcome["issue"][0]["severity"] == "information"
    assert slow.headers["Content-Location"].startswith("/api/commands/")
