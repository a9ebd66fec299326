"""FHIR reads and searches, from the same read queries as REST: practitioners, schedules and slots are public;
appointments are patient data (staff, or one appointment with its cancel code)."""

from uuid import UUID

from aiohttp import web

from gateway import queries
from gateway.auth import patient_data, public, requires
from gateway.context import CLOCK, READER, SETTINGS
from gateway.fhir import mapping, search, terms
from gateway.fhir.capability import capability_statement
from gateway.fhir.wire import fhir_response
from gateway.patient_access import readable_token
from gateway.requests import BadRequest
from gateway.responses import error
from shared.contracts.caller import Role
from shared.contracts.views import DoctorView
from shared.errors import ErrorCode

routes = web.RouteTableDef()
MAX_SLOT_DAYS_ACROSS_DOCTORS = 400
"""A Slot search without ``schedule`` reads every doctor's days: at most this many doctor-days."""


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


def _unknown(resource_type: str, resource_id: str) -> web.Response:
    code = ErrorCode.DOCTOR_NOT_FOUND if resource_type in ("Practitioner", "Schedule") else ErrorCode.NOT_FOUND
    return error(code, f"{resource_type}/{resource_id} not found", {"id": resource_id})


@routes.get("/fhir/metadata")
@public
async def metadata(request: web.Request) -> web.Response:
    """The CapabilityStatement: exactly the resources, interactions and search parameters served here."""
    return fhir_response(capability_statement(request))


async def _doctor(request: web.Request, resource_type: str) -> DoctorView | web.Response:
    resource_id = request.match_info["id"]
    doctor_id = _uuid(resource_id)
    async with request.app[READER].acquire() as connection:
        found = await queries.doctor(connection, doctor_id) if doctor_id else None
    return found if found is not None else _unknown(resource_type, resource_id)


@routes.get("/fhir/Practitioner/{id}")
@public
async def read_practitioner(request: web.Request) -> web.Response:
    found = await _doctor(request, "Practitioner")
    return found if isinstance(found, web.Response) else fhir_response(mapping.practitioner(found))


@routes.get("/fhir/Practitioner")
@public
async def search_practitioners(request: web.Request) -> web.Response:
    """``specialty``: the doctors of a specialization (exact, case-insensitive)."""
    given = search.params(request, ("specialty",))
    shown = search.page(given)
    async with request.app[READER].acquire() as connection:
        found, total = await queries.doctors(connection, search.one(given, "specialty"), shown.count, shown.offset)
    return search.searchset(request, [mapping.practitioner(d) for d in found], total, shown)


@routes.get("/fhir/Schedule/{id}")
@public
async def read_schedule(request: web.Request) -> web.Response:
    """A doctor's schedule (its id is the Practitioner's): working days and weekly slots."""
    found = await _doctor(request, "Schedule")
    return found if isinstance(found, web.Response) else fhir_response(mapping.schedule(found))


@routes.get("/fhir/Slot/{id}")
@public
async def read_slot(request: web.Request) -> web.Response:
    """A dated slot, whether or not anyone has booked that day yet."""
    resource_id = request.match_info["id"]
    parsed = mapping.parse_slot_id(resource_id)
    if parsed is None:
        return _unknown("Slot", resource_id)
    doctor_id, day, start, end = parsed
    settings, now = request.app[SETTINGS], request.app[CLOCK].now()
    async with request.app[READER].acquire() as connection:
        doctor = await queries.doctor(connection, doctor_id)
        slots = (
            await queries.schedule(connection, doctor, day, settings.zone, now, settings.release_reserve_at_start)
            if doctor is not None
            else []
        )
    wanted = (f"{start:%H:%M}", f"{end:%H:%M}")
    found = next((s for s in slots if (s.start_time, s.end_time) == wanted), None)
    if doctor is None or found is None:
        return _unknown("Slot", resource_id)
    return fhir_response(mapping.slot(found, doctor, now, settings.zone))


@routes.get("/fhir/Slot")
@public
async def search_slots(request: web.Request) -> web.Response:
    """``schedule`` (a doctor; all doctors without it), ``start`` (days; a week from today without it),
    ``status`` (free, busy, busy-unavailable)."""
    given = search.params(request, ("schedule", "start", "status"))
    shown = search.page(given)
    wanted = search.choices(given, "status", terms.SLOT_STATUSES)
    schedule = search.reference_id(given, "schedule", "Schedule")
    days = search.days(request, given, "start", 7)
    settings, now = request.app[SETTINGS], request.app[CLOCK].now()
    async with request.app[READER].acquire() as connection:
        if schedule is None:
            doctors, _ = await queries.doctors(connection, None, MAX_SLOT_DAYS_ACROSS_DOCTORS, 0)
        else:
            doctor_id = _uuid(schedule)
            one = await queries.doctor(connection, doctor_id) if doctor_id else None
            doctors = [one] if one is not None else []
        if len(doctors) * len(days) > MAX_SLOT_DAYS_ACROSS_DOCTORS:
            raise BadRequest("too many doctor-days: name a schedule or a shorter start range")
        found = []
        for doctor in doctors:
            for day in days:
                dated = await queries.schedule(
                    connection, doctor, day, settings.zone, now, settings.release_reserve_at_start
                )
                found += [mapping.slot(s, doctor, now, settings.zone) for s in dated]
    matches = [s for s in found if wanted is None or s["status"] in wanted]
    return search.searchset(request, matches[shown.offset : shown.offset + shown.count], len(matches), shown)


@routes.get("/fhir/Appointment/{id}")
@patient_data
async def read_appointment(request: web.Request) -> web.Response:
    """A token: for staff, or with the token's cancel code (``X-Cancel-Code`` or ``?code=``), as REST."""
    resource_id = request.match_info["id"]
    async with request.app[READER].acquire() as connection:
        found = await readable_token(request, connection, resource_id)
    if found is None:
        return error(ErrorCode.TOKEN_NOT_FOUND, f"Appointment/{resource_id} not found", {"id": resource_id})
    return fhir_response(mapping.appointment(found, request.app[SETTINGS].zone))


@routes.get("/fhir/Appointment")
@requires(Role.STAFF)
async def search_appointments(request: web.Request) -> web.Response:
    """``practitioner`` (required), ``date`` (days; today without it), ``status``: a doctor's tokens in
    consultation order."""
    given = search.params(request, ("practitioner", "date", "status"))
    shown = search.page(given)
    wanted = search.choices(given, "status", terms.APPOINTMENT_STATUSES)
    practitioner = search.reference_id(given, "practitioner", "Practitioner")
    if practitioner is None:
        raise BadRequest("practitioner is required (Practitioner/<id>)")
    days = search.days(request, given, "date", 1)
    zone = request.app[SETTINGS].zone
    doctor_id = _uuid(practitioner)
    found = []
    async with request.app[READER].acquire() as connection:
        if doctor_id is not None:
            for day in days:
                found += await queries.doctor_tokens(connection, doctor_id, day, None, zone)
    matches = [a for a in (mapping.appointment(t, zone) for t in found) if wanted is None or a["status"] in wanted]
    return search.searchset(request, matches[shown.offset : shown.offset + shown.count], len(matches), shown)
