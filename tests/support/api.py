"""REST helpers for tests: a doctor with a predictable day, and booking shortcuts."""

from typing import Any, TypeAlias

from aiohttp import web
from aiohttp.test_utils import TestClient

ApiClient: TypeAlias = TestClient[web.Request, web.Application]  # a client of the gateway, served in-process

WEEK = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
DOCTOR_BODY: dict[str, Any] = {
    "name": "Dr. Test",
    "specialization": "Cardiology",
    "timeSlots": [{"startTime": "09:00", "endTime": "10:00", "maxCapacity": 4}],
    "workingDays": WEEK,
}


async def create_doctor(api: ApiClient, capacity: int = 4, reserved: int = 1, **overrides: Any) -> dict[str, Any]:
    slots = [
        {"startTime": start, "endTime": end, "maxCapacity": capacity, "reservedEmergencySlots": reserved}
        for start, end in (("09:00", "10:00"), ("10:00", "11:00"))
    ]
    body = {**DOCTOR_BODY, "timeSlots": slots, **overrides}
    response = await api.post("/api/doctors", json=body)
    assert response.status == 201, await response.text()
    return (await response.json())["doctor"]  # type: ignore[no-any-return]


async def book(api: ApiClient, doctor_id: str, name: str, expect: int = 201, **extra: Any) -> dict[str, Any]:
    response = await api.post(
        "/api/tokens", json={"doctorId": doctor_id, "patientName": name, "patientAge": 40, **extra}
    )
    body: dict[str, Any] = await response.json()
    assert response.status == expect, body
    return body


def assert_error_envelope(body: dict[str, Any]) -> None:
    """Every error body: ``{"success": false, "error": <message>, "code": <MACHINE_CODE>, ...details}``."""
    assert body["success"] is False, body
    assert isinstance(body["error"], str) and body["error"], body
    assert isinstance(body["code"], str) and body["code"], body


async def call(api: ApiClient, method: str, path: str, expect: int, **kwargs: Any) -> dict[str, Any]:
    """Any request; checks the status and the envelope: JSON with ``success``, and ``error``/``code`` on errors."""
    response = await api.request(method, path, **kwargs)
    assert response.content_type == "application/json", (response.status, await response.text())
    body: dict[str, Any] = await response.json()
    assert response.status == expect, body
    if expect >= 400:
        assert_error_envelope(body)
    else:
        assert body["success"] is True, body
    return body


async def refused(api: ApiClient, method: str, path: str, expect: int, code: str, **kwargs: Any) -> dict[str, Any]:
    """A request that must fail with this status and machine code; returns the error body."""
    body = await call(api, method, path, expect, **kwargs)
    assert body["code"] == code, body
    return body


async def outcome(api: ApiClient, method: str, path: str, **kwargs: Any) -> tuple[int, str | None, list[str]]:
    """Status, machine code and the fields a refusal names; the error envelope is checked on the way."""
    response = await api.request(method, path, **kwargs)
    assert response.content_type == "application/json", (method, path, response.status, await response.text())
    body: dict[str, Any] = await response.json()
    if response.status >= 400:
        assert_error_envelope(body)
    return response.status, body.get("code"), [error["field"] for error in body.get("errors", [])]
