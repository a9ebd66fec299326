"""Emergency by specialization: the doctor who can see the patient earliest, tried in order.

Each doctor's allocator decides for its own doctor; the gateway only ranks candidates from the read side
(which may be a moment behind) and moves to the next one when a doctor has no emergency seat left.
"""

from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from aiohttp import web

from gateway import queries
from gateway.context import CLOCK, READER, SETTINGS
from gateway.dispatch import accepted, build, present, send
from gateway.responses import error
from shared.contracts.commands import AddEmergency, AddEmergencyPayload
from shared.contracts.values import SlotStatus
from shared.errors import ErrorCode

MAX_CANDIDATES = 5


async def _candidates(request: web.Request, specialization: str, day: date | None) -> list[UUID]:
    settings = request.app[SETTINGS]
    now = request.app[CLOCK].now()
    day = day or now.astimezone(settings.zone).date()
    ranked: list[tuple[datetime, UUID]] = []
    async with request.app[READER].acquire() as connection:
        doctors, _ = await queries.doctors(connection, specialization, limit=50, offset=0)
        for doctor in doctors:
            slots = await queries.schedule(
                connection, doctor, day, settings.zone, now, settings.release_reserve_at_start
            )
            for slot in slots:
                starts = datetime.combine(day, time.fromisoformat(slot.start_time), settings.zone)
                ends = datetime.combine(day, time.fromisoformat(slot.end_time), settings.zone)
                open_now = slot.status is not SlotStatus.CANCELLED and now < ends
                if open_now and not slot.overflow_used:
                    ranked.append((max(starts, now), doctor.id))
                    break
    ranked.sort()
    return [doctor_id for _, doctor_id in ranked[:MAX_CANDIDATES]]


async def emergency_by_specialization(request: web.Request, body: dict[str, Any]) -> web.Response:
    specialization = str(body.pop("specialization"))
    # The body is validated before any ranking: a bad request is a 400 whether or not a doctor is found.
    payload = AddEmergencyPayload.model_validate({**body, "doctorId": str(UUID(int=0))})
    candidates = await _candidates(request, specialization, payload.date)
    if not candidates:
        return error(
            ErrorCode.NO_EMERGENCY_CAPACITY,
            f"no {specialization} doctor can take an emergency on that day",
            {"specialization": specialization, "suggestedDoctors": []},
        )
    reply = None
    for doctor_id in candidates:
        command = build(
            request, AddEmergency, AddEmergencyPayload, {**body, "doctorId": str(doctor_id)}, str(doctor_id)
        )
        reply = await send(request, command)
        if reply is None:
            return accepted(request, command)
        if reply.ok or reply.error is None or reply.error.code != ErrorCode.NO_EMERGENCY_CAPACITY:
            break
    assert reply is not None
    return await present(request, "AddEmergency", reply, 201, issues_token=True)
