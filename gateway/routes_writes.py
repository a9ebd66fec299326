"""Write endpoints of the original REST contract: each becomes one command for the allocator."""

from uuid import uuid4

from aiohttp import web
from pydantic import BaseModel

from gateway.access import caller_of
from gateway.auth import requires
from gateway.dispatch import IDEMPOTENCY_HEADER, dispatch
from gateway.emergency import emergency_by_specialization
from gateway.patient_access import token_to_change
from gateway.requests import json_body, path_uuid
from gateway.responses import error
from shared.contracts.caller import Role
from shared.contracts.commands import (
    AddEmergency,
    AddEmergencyPayload,
    AnyCommand,
    BookToken,
    BookTokenPayload,
    CallNext,
    CallNextPayload,
    CancelToken,
    CancelTokenPayload,
    CheckIn,
    CompleteToken,
    CreateDoctor,
    CreateDoctorPayload,
    DelayDoctor,
    DelayDoctorPayload,
    MarkDoctorUnavailable,
    MarkDoctorUnavailablePayload,
    MarkNoShow,
    MarkNoShowPayload,
    Reallocate,
    ReallocatePayload,
    RecallToken,
    RecallTokenPayload,
    TokenActionPayload,
    UpdateDoctorSlots,
    UpdateDoctorSlotsPayload,
)
from shared.errors import ErrorCode
from shared.ids import doctor_id_for_key

routes = web.RouteTableDef()


@routes.post("/api/doctors")
@requires(Role.ADMIN)
async def create_doctor(request: web.Request) -> web.Response:
    """The new doctor's id is random, or follows from the Idempotency-Key so that a retry names the same doctor."""
    body = await json_body(request)
    key = request.headers.get(IDEMPOTENCY_HEADER)
    body.setdefault("doctorId", str(doctor_id_for_key(caller_of(request).issuer, key) if key else uuid4()))
    return await dispatch(request, CreateDoctor, CreateDoctorPayload, body, 201)


@routes.put("/api/doctors/{doctorId}/slots")
@requires(Role.ADMIN)
async def update_slots(request: web.Request) -> web.Response:
    return await _doctor_command(request, UpdateDoctorSlots, UpdateDoctorSlotsPayload)


@routes.post("/api/tokens")
@requires(Role.BOOKING)
async def book_token(request: web.Request) -> web.Response:
    """Any source but emergency with a booking key; an emergency needs staff (as ``/api/tokens/emergency``)."""
    body = await json_body(request)
    return await dispatch(request, BookToken, BookTokenPayload, body, 201, issues_token=True)


@routes.post("/api/tokens/emergency")
@requires(Role.STAFF)
async def add_emergency(request: web.Request) -> web.Response:
    """By ``doctorId``, or by ``specialization`` alone: the doctor who can see the patient earliest."""
    body = await json_body(request)
    if "doctorId" not in body and isinstance(body.get("specialization"), str):
        return await emergency_by_specialization(request, body)
    return await dispatch(request, AddEmergency, AddEmergencyPayload, body, 201, issues_token=True)


@routes.post("/api/doctors/{doctorId}/unavailability")
@requires(Role.ADMIN)
async def mark_unavailable(request: web.Request) -> web.Response:
    """The doctor cannot see patients on a date (or part of it): their patients are re-seated and told."""
    return await _doctor_command(request, MarkDoctorUnavailable, MarkDoctorUnavailablePayload)


async def _doctor_command(
    request: web.Request, command_type: type[AnyCommand], payload_type: type[BaseModel], body_required: bool = True
) -> web.Response:
    """A command about the doctor named in the path; the body gives the rest."""
    body = await json_body(request, required=body_required)
    body["doctorId"] = str(path_uuid(request, "doctorId"))
    return await dispatch(request, command_type, payload_type, body)


async def _token_command(
    request: web.Request,
    command_type: type[AnyCommand],
    payload_type: type[BaseModel],
    without_code: Role | None = None,
) -> web.Response:
    """A command about the token named in the path (id or number), routed to its doctor's shard.

    With ``without_code``, a caller below that role must present the token's cancel code; it travels on in the
    command, for the allocator to check again.
    """
    ref = request.match_info["tokenId"]
    body = await json_body(request, required=False)
    target = await token_to_change(request, ref, without_code, body.pop("cancelCode", None))
    if target is None:
        return error(ErrorCode.TOKEN_NOT_FOUND, f"token {ref} not found", {"tokenId": ref})
    if target.code is not None:
        body["cancelCode"] = target.code
    return await dispatch(
        request, command_type, payload_type, {**body, "tokenId": ref, "doctorId": str(target.doctor_id)}
    )


@routes.put("/api/tokens/{tokenId}/cancel")
@requires(Role.BOOKING)
async def cancel_token(request: web.Request) -> web.Response:
    """Staff cancel any token; a booking key (a patient app, a kiosk) needs the token's cancel code."""
    return await _token_command(request, CancelToken, CancelTokenPayload, without_code=Role.STAFF)


@routes.put("/api/tokens/{tokenId}/no-show")
@requires(Role.STAFF)
async def mark_no_show(request: web.Request) -> web.Response:
    return await _token_command(request, MarkNoShow, MarkNoShowPayload)


@routes.put("/api/tokens/{tokenId}/check-in")
@requires(Role.STAFF)
async def check_in(request: web.Request) -> web.Response:
    """The patient has arrived; a no-show arriving late the same day is re-queued."""
    return await _token_command(request, CheckIn, TokenActionPayload)


@routes.put("/api/tokens/{tokenId}/complete")
@requires(Role.STAFF)
async def complete(request: web.Request) -> web.Response:
    return await _token_command(request, CompleteToken, TokenActionPayload)


@routes.put("/api/tokens/{tokenId}/recall")
@requires(Role.BOOKING)
async def recall(request: web.Request) -> web.Response:
    """Called but not here: back a few places in the queue; the second time, a no-show. Before the call, the
    patient running late (once). Below staff, only with the token's cancel code."""
    return await _token_command(request, RecallToken, RecallTokenPayload, without_code=Role.STAFF)


@routes.post("/api/doctors/{doctorId}/call-next")
@requires(Role.STAFF)
async def call_next(request: web.Request) -> web.Response:
    """Complete the patient in consultation (if any) and call the next one."""
    return await _doctor_command(request, CallNext, CallNextPayload, body_required=False)


@routes.post("/api/doctors/{doctorId}/delay")
@requires(Role.STAFF)
async def delay(request: web.Request) -> web.Response:
    """``{minutes, reason}``: the doctor runs late; every waiting patient is told their new time."""
    return await _doctor_command(request, DelayDoctor, DelayDoctorPayload)


@routes.post("/api/tokens/reallocate/{doctorId}")
@requires(Role.STAFF)
async def reallocate(request: web.Request) -> web.Response:
    return await _doctor_command(request, Reallocate, ReallocatePayload, body_required=False)
