"""The waiting-room board: a self-contained HTML page and its public data, token numbers only."""

import re
from typing import Any

from shared.clock import ManualClock
from tests.support.api import ApiClient, book, create_doctor, refused
from tests.support.services import Running

PATIENTS = ["Kavya Raghunathan", "Imran Siddiqui", "Neha Kulkarni"]


async def _board(api: ApiClient, doctor_id: str) -> tuple[dict[str, Any], str]:
    response = await api.get(f"/api/doctors/{doctor_id}/board")
    text = await response.text()
    assert response.status == 200, text
    return await response.json(), text


async def test_the_public_board_data_shows_numbers_now_serving_and_next_but_no_patients(
    api: ApiClient, allocator: Running, clock: ManualClock
) -> None:
    doctor = await create_doctor(api, capacity=4, reserved=0, room="12B")
    tokens = [
        (await book(api, doctor["id"], name, phone=f"+9198000000{n}", timeSlot="09:00-10:00"))["token"]
        for n, name in enumerate(PATIENTS)
    ]
    before, _ = await _board(api, doctor["id"])
    assert before["nowServing"] is None
    assert [t["shortNumber"] for t in before["next"]] == [t["shortNumber"] for t in tokens]

    clock.set(clock.now().replace(hour=9, minute=1))
    response = await api.post(f"/api/doctors/{doctor['id']}/call-next", json={})
    assert response.status == 200, await response.text()
    data, text = await _board(api, doctor["id"])

    assert data["doctor"] == {"id": doctor["id"], "name": "Dr. Test", "specialization": "Cardiology", "room": "12B"}
    assert data["nowServing"]["tokenNumber"] == tokens[0]["tokenNumber"]
    assert data["nowServing"]["shortNumber"] == tokens[0]["shortNumber"]
    assert [t["tokenNumber"] for t in data["next"]] == [t["tokenNumber"] for t in tokens[1:]]
    assert all(t["estimatedTime"] and t["status"] == "confirmed" for t in data["next"])
    assert (data["waiting"], data["completed"], data["waitlist"]) == (2, 0, [])
    for secret in [*PATIENTS, "patientName", "patientAge", "phone", "+9198"]:
        assert secret not in text, secret


async def test_the_board_page_is_self_contained_html_without_patient_names(api: ApiClient, allocator: Running) -> None:
    first = await create_doctor(api, name="Dr. Anand")
    second = await create_doctor(api, name="Dr. Bose")
    for n, name in enumerate(PATIENTS):
        await book(api, (first, second)[n % 2]["id"], name)

    response = await api.get(f"/board?doctorIds={first['id']},{second['id']}")
    page = await response.text()
    assert response.status == 200 and response.content_type == "text/html", page
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert first["id"] in page and second["id"] in page and "Dr. Anand" in page
    assert "new EventSource(" in page and "/api/events/stream" in page and "/board" in page
    assert not re.search(r"""(src|href)\s*=|https?://|@import""", page)  # no external assets
    assert '<span lang="en">Now serving</span><span lang="hi">अभी अंदर</span>' in page  # labels in both languages
    assert '"zone":"Asia/Kolkata"' in page  # times in the hospital's zone, whatever the TV's
    for name in PATIENTS:
        assert name not in page

    by_department = await api.get("/board?specialization=cardiology")
    department_page = await by_department.text()
    assert by_department.status == 200
    assert first["id"] in department_page and second["id"] in department_page


async def test_board_requests_that_name_no_doctor_are_refused(api: ApiClient, allocator: Running) -> None:
    await refused(api, "GET", "/board", 400, "INVALID_REQUEST")
    await refused(api, "GET", "/board?doctorIds=00000000-0000-0000-0000-000000000000", 404, "DOCTOR_NOT_FOUND")
    await refused(api, "GET", "/board?specialization=Astrology", 404, "DOCTOR_NOT_FOUND")
    await refused(api, "GET", "/api/doctors/00000000-0000-0000-0000-000000000000/board", 404, "DOCTOR_NOT_FOUND")
    doctor = await create_doctor(api)
    await refused(api, "GET", f"/api/doctors/{doctor['id']}/board?next=99", 400, "INVALID_REQUEST")
