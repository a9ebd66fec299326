"""REST helpers for tests: a doctor with a predictable day, and booking shortcuts."""

from typing import Any

from aiohttp.test_utils import TestClient

WEEK = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


async def create_doctor(api: TestClient, capacity: int = 4, reserved: int = 1, **overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Dr. Test",
        "specialization": "Cardiology",
        "timeSlots": [
            {"startTime": "09:00", "endTime": "10:00", "maxCapacity": capacity, "reservedEmergencySlots": reserved},
            {"startTime": "10:00", "endTime": "11:00", "maxCapacity": capacity, "reservedEmergencySlots": reserved},
        ],
        "workingDays": WEEK,
        **overrides,
    }
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
