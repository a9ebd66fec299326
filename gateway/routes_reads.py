"""Read endpoints: straight from Postgres through the read-only role."""

from collections.abc import Callable
from datetime import date
from typing import Any

from aiohttp import web

from gateway import bodies, queries
from gateway.access import caller_of
from gateway.auth import patient_data, public, requires
from gateway.context import CANCEL_SECRET, CLOCK, READER, SETTINGS
from gateway.dispatch import present
from gateway.patient_access import readable_token
from gateway.public import public_delay_reason, public_token
from gateway.receipts import is_pending_receipt
from gateway.requests import BadRequest, page, path_uuid, query_date, query_int
from gateway.responses import error, json_response, ok
from shared.contracts.caller import Role
from shared.contracts.replies import Reply
from shared.contracts.values import TokenStatus
from shared.contracts.views import TokenView
from shared.errors import ErrorCode

routes = web.RouteTableDef()
TOKEN_ISSUING_COMMANDS = frozenset({"BookToken", "AddEmergency"})
CREATING_COMMANDS = frozenset({*TOKEN_ISSUING_COMMANDS, "CreateDoctor"})


def _today(request: web.Request) -> date:
    return request.app[CLOCK].now().astimezone(request.app[SETTINGS].zone).date()


def _public_token(view: TokenView) -> dict[str, Any]:
    return public_token(view).model_dump(mode="json")


@routes.get("/api/doctors")
@public
async def list_doctors(request: web.Request) -> web.Response:
    limit, offset = page(request)
    async with request.app[READER].acquire() as connection:
        found, total = await queries.doctors(connection, request.query.get("specialization"), limit, offset)
        facts = await queries.doctor_facts(connection, [d.id for d in found], _today(request))
    return ok(doctors=[bodies.doctor(d, facts[d.id]) for d in found], total=total, limit=limit, offset=offset)


@routes.get("/api/doctors/{doctorId}")
@public
async def get_doctor(request: web.Request) -> web.Response:
    doctor_id = path_uuid(request, "doctorId")
    async with request.app[READER].acquire() as connection:
        found = await queries.doctor(connection, doctor_id)
        if found is None:
            return error(ErrorCode.DOCTOR_NOT_FOUND, f"doctor {doctor_id} not found", {"doctorId": str(doctor_id)})
        facts = await queries.doctor_facts(connection, [doctor_id], _today(request))
    return ok(doctor=bodies.doctor(found, facts[doctor_id]))


@routes.get("/api/doctors/{doctorId}/schedule")
@public
async def schedule(request: web.Request) -> web.Response:
    doctor_id = path_uuid(request, "doctorId")
    day = query_date(request)
    settings = request.app[SETTINGS]
    async with request.app[READER].acquire() as connection:
        found = await queries.doctor(connection, doctor_id)
        if found is None:
            return error(ErrorCode.DOCTOR_NOT_FOUND, f"doctor {doctor_id} not found", {"doctorId": str(doctor_id)})
        slots = await queries.schedule(
            connection, found, day, settings.zone, request.app[CLOCK].now(), settings.release_reserve_at_start
        )
        seated = await queries.seated(connection, [s.id for s in slots])
        facts = await queries.doctor_facts(connection, [doctor_id], _today(request))
    return ok(
        date=day.isoformat(),
        slots=[bodies.slot(s, seated[s.id]) for s in slots],
        doctor=bodies.doctor(found, facts[doctor_id]),
        workingDay=day.strftime("%A") in found.working_days,
    )


@routes.get("/api/doctors/{doctorId}/queue")
@public
async def live_queue(request: web.Request) -> web.Response:
    """Now serving, the next patients with their estimated times, the waitlist and counts."""
    doctor_id = path_uuid(request, "doctorId")
    day = query_date(request)
    upcoming = query_int(request, "next", 5, 0, 50)
    async with request.app[READER].acquire() as connection:
        if await queries.doctor(connection, doctor_id) is None:
            return error(ErrorCode.DOCTOR_NOT_FOUND, f"doctor {doctor_id} not found", {"doctorId": str(doctor_id)})
        live = await queries.queue(connection, doctor_id, day, request.app[SETTINGS].zone, upcoming)
    staff = caller_of(request).has(Role.STAFF)
    show: Callable[[TokenView], dict[str, Any]] = bodies.token_of if staff else _public_token
    serving = live["nowServing"]
    shown = {
        "nowServing": show(serving) if serving is not None else None,
        "next": [show(token) for token in live["next"]],
        "waitlist": [show(token) for token in live["waitlist"]],
        "delayReason": live["delayReason"] if staff else public_delay_reason(live["delayReason"]),
    }
    return ok(**{**live, **shown})


@routes.get("/api/tokens/doctor/{doctorId}")
@requires(Role.STAFF)
async def doctor_tokens(request: web.Request) -> web.Response:
    doctor_id = path_uuid(request, "doctorId")
    day = query_date(request)
    limit, offset = page(request, default_limit=200, max_limit=500)
    status_text = request.query.get("status")
    try:
        status = TokenStatus(status_text) if status_text else None
    except ValueError:
        raise BadRequest(f"status must be one of {[s.value for s in TokenStatus]}") from None
    async with request.app[READER].acquire() as connection:
        found = await queries.doctor(connection, doctor_id)
        if found is None:
            return error(ErrorCode.DOCTOR_NOT_FOUND, f"doctor {doctor_id} not found", {"doctorId": str(doctor_id)})
        tokens = await queries.doctor_tokens(connection, doctor_id, day, status, request.app[SETTINGS].zone)
    shown = tokens[offset : offset + limit]
    doctor = bodies.doctor_ref(found)
    return ok(
        tokens=[bodies.listed_token(t, doctor) for t in shown],
        count=len(shown),
        total=len(tokens),
        limit=limit,
        offset=offset,
        date=day.isoformat(),
    )


@routes.get("/api/tokens/{tokenId}")
@patient_data
async def get_token(request: web.Request) -> web.Response:
    """A patient's token: for staff, or with the token's cancel code (booking keys too: no enumeration)."""
    ref = request.match_info["tokenId"]
    async with request.app[READER].acquire() as connection:
        found = await readable_token(request, connection, ref)
    if found is None:
        return error(ErrorCode.TOKEN_NOT_FOUND, f"token {ref} not found", {"tokenId": ref})
    return ok(token=bodies.token_of(found))


@routes.get("/api/commands/{commandId}")
@requires(Role.BOOKING)
async def command_status(request: web.Request) -> web.Response:
    """The outcome of a command answered with 202, for the caller who sent it (or staff); 404 for anyone else.

    While the allocator has not decided: "pending" to the holder of the 202's receipt, 404 otherwise.
    """
    command_id = path_uuid(request, "commandId")
    caller = caller_of(request)
    async with request.app[READER].acquire() as connection:
        stored = await queries.command_reply(connection, command_id)
    secret = request.app[CANCEL_SECRET]
    unknown = error(
        ErrorCode.NOT_FOUND,
        f"no command {command_id} of yours: unknown, or its receipt has expired",
        {"commandId": str(command_id)},
    )
    if stored is None:
        now = request.app[CLOCK].now()
        if not is_pending_receipt(secret, command_id, caller.issuer, request.query.get("receipt"), now):
            return unknown
        return json_response({"success": True, "status": "pending", "commandId": str(command_id)}, 202)
    own = stored.issuer == caller.issuer
    if not own and not caller.has(Role.STAFF):
        return unknown
    reply = Reply.model_validate(stored.reply)
    status = 201 if stored.command_type in CREATING_COMMANDS else 200
    coded = own and stored.command_type in TOKEN_ISSUING_COMMANDS  # the patient's code: its issuer's alone
    return await present(request, stored.command_type, reply, status, issues_token=coded)
