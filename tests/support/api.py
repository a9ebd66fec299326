"""REST helpers for tests: a doctor with a predictable day, and booking shortcuts."""

from typing import Any

from aiohttp.test_utils import TestClient

WEEK = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
DOCTOR_BODY: dict[str, Any] = {
    "name": "Dr. Test",
    "specialization": "Cardiology",
    "timeSlots": [{"startTime": "09:00", "endTime": "10:00", "maxCapacity": 4}],
    "workingDays": WEEK,
}


async def create_doctor(api: TestClient, capacity: int = 4, reserved: int = 1, **overrides: Any) -> dict[str, Any]:
    slots = [
        {"startTime": start, "endTime": end, "maxCapacity": capacity, "reservedEmergencySlots": reserved}
        for start, end in (("09:00", "10:00"), ("10:00", "11:00"))
    ]
    body = {**DOCTOR_BODY, "timeSlots": slots, **overrides}
    response = await api.post("/api/doctors", json=body)
    assert response.status == 201, await response.text()
    return (await response.json())["data"]  # type: ignore[no-any-return]


async def book(api: TestClient, doctor_id: str, name: str, expect: int = 201, **extra: Any) -> dict[str, Any]:
    response = await api.post(
        "/api/tokens", json={"doctorId": doctor_id, "patientName": name, "patientAge": 40, **extra}
    )
    body: dict[str, Any] = await response.json()
    assert response.status == expect, body
    return body
