"""The waiting-room display board: ``/board`` (an HTML page) and its public data, ``/api/doctors/:id/board``."""

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from gateway import queries
from gateway.auth import public
from gateway.board_page import BOARD_LOOK, BoardLook, logo_uri, page_context, setup_templates
from gateway.context import READER, SETTINGS
from gateway.public import public_token
from gateway.requests import BadRequest, path_uuid, query_date, query_int
from gateway.responses import error, ok
from gateway.routes_feed import EVENT_TYPES, MAX_DOCTORS, doctor_ids
from shared.contracts.views import DoctorView
from shared.errors import ErrorCode

routes = web.RouteTableDef()
UPCOMING = 5


def install(app: web.Application) -> None:
    """The board's routes, its templates and the hospital's look, read once from the settings."""
    settings = app[SETTINGS]
    app[BOARD_LOOK] = BoardLook(
        hospital=settings.hospital_name,
        logo=logo_uri(settings.hospital_logo_file),
        languages=settings.board_language_codes,
        page_size=settings.board_page_size,
        page_seconds=settings.board_page_seconds,
        zone=settings.timezone,
    )
    setup_templates(app)
    app.add_routes(routes)


def _public_doctor(doctor: DoctorView) -> dict[str, Any]:
    return {"id": str(doctor.id), "name": doctor.name, "specialization": doctor.specialization, "room": doctor.room}


@routes.get("/api/doctors/{doctorId}/board")
@public
async def board_data(request: web.Request) -> web.Response:
    """Now serving and the next tokens: numbers, statuses and ETAs only (no patient data)."""
    doctor_id = path_uuid(request, "doctorId")
    day = query_date(request)
    upcoming = query_int(request, "next", UPCOMING, 0, 20)
    async with request.app[READER].acquire() as connection:
        doctor = await queries.doctor(connection, doctor_id)
        if doctor is None:
            return error(ErrorCode.DOCTOR_NOT_FOUND, f"doctor {doctor_id} not found", {"doctorId": str(doctor_id)})
        live = await queries.queue(connection, doctor_id, day, request.app[SETTINGS].zone, upcoming)
    serving = live["nowServing"]
    return ok(
        doctor=_public_doctor(doctor),
        date=live["date"],
        nowServing=public_token(serving).model_dump(mode="json") if serving else None,
        next=[public_token(t).model_dump(mode="json") for t in live["next"]],
        waitlist=[t.short_number for t in live["waitlist"]],
        waiting=live["counts"]["waiting"],
        completed=live["counts"]["completed"],
        delayMinutes=live["delayMinutes"],
    )


@routes.get("/board")
@public
async def board_page(request: web.Request) -> web.Response:
    """A self-contained page for a waiting-room TV: ``?doctorIds=a,b`` or ``?specialization=Cardiology``."""
    specialization = request.query.get("specialization", "").strip()
    async with request.app[READER].acquire() as connection:
        if "doctorIds" in request.query or "doctorId" in request.query:
            wanted = doctor_ids(request)
            found = [d for d in [await queries.doctor(connection, i) for i in sorted(wanted)] if d is not None]
            if len(found) < len(wanted):
                missing = sorted(str(i) for i in wanted - {d.id for d in found})
                return error(ErrorCode.DOCTOR_NOT_FOUND, f"doctors not found: {missing}", {"doctorIds": missing})
        elif specialization:
            found, _ = await queries.doctors(connection, specialization, MAX_DOCTORS, 0)
        else:
            raise BadRequest("give doctorIds=<id>,<id> or specialization=<name>")
    if not found:
        return error(ErrorCode.DOCTOR_NOT_FOUND, f"no doctors for specialization {specialization!r}")
    doctors = sorted(found, key=lambda d: (d.name, str(d.id)))
    title = specialization or ", ".join(d.name for d in doctors)
    cards = [{**_public_doctor(d), "code": d.code} for d in doctors]  # the code: a badge on the doctor's card
    context = page_context(request.app[BOARD_LOOK], title, cards, sorted(EVENT_TYPES))
    response = aiohttp_jinja2.render_template("board.html", request, context)
    response.headers["Cache-Control"] = "no-cache"
    return response
