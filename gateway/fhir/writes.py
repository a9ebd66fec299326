"""FHIR writes through the same command path as REST: creating an Appointment books a token, setting its status
to cancelled (PUT or JSON Patch) cancels it. The role table and the cancel-code rule are REST's."""

from typing import Any

from aiohttp import web

from gateway import queries
from gateway.auth import requires
from gateway.context import CANCEL_SECRET, READER, SETTINGS
from gateway.dispatch import accepted, build, refusal, send
from gateway.fhir import mapping, terms
from gateway.fhir.inbound import AppointmentIn, JsonPatch, booking, cancellation
from gateway.fhir.outcomes import operation_outcome
from gateway.fhir.wire import PATCH_BODY, RESOURCE_BODY, fhir_body, fhir_response
from gateway.patient_access import token_to_change
from gateway.requests import BadRequest
from gateway.responses import error
from shared.cancel_codes import cancel_code
from shared.contracts.caller import Role
from shared.contracts.commands import AnyCommand, BookToken, BookTokenPayload, CancelToken, CancelTokenPayload
from shared.contracts.replies import Reply
from shared.errors import ErrorCode

routes = web.RouteTableDef()


def _pending(request: web.Request, command: AnyCommand) -> web.Response:
    """202: the allocator has not answered in time; the outcome will be at ``Content-Location`` (REST's status URL)."""
    status_url = accepted(request, command).headers["Location"]
    outcome = operation_outcome(202, "ACCEPTED", f"accepted; poll {status_url} for the outcome", {})
    outcome["issue"][0] |= {"severity": "information", "code": "informational"}
    return fhir_response(outcome, 202, {"Content-Location": status_url, "Location": status_url})


async def _answer(request: web.Request, reply: Reply, status: int, with_code: bool = False) -> web.Response:
    """The token after the command, as an Appointment (read back from the read side, committed by now)."""
    if not reply.ok:
        return refusal(reply)
    token_id = str((reply.result or {})["token"]["id"])
    zone = request.app[SETTINGS].zone
    async with request.app[READER].acquire() as connection:
        found = await queries.token(connection, token_id, zone)
    assert found is not None, "a decided command's token is committed before the reply"
    resource = mapping.appointment(found, zone)
    if with_code:  # the patient's cancel code, for the issuer only, as REST's booking answer carries it
        code = cancel_code(request.app[CANCEL_SECRET], found.id)
        resource["extension"].append({"url": terms.CANCEL_CODE, "valueString": code})
    return fhir_response(resource, status, {"Location": f"/fhir/Appointment/{found.id}"})


@routes.post("/fhir/Appointment")
@requires(Role.BOOKING)
async def create_appointment(request: web.Request) -> web.Response:
    """Book a token for the Appointment's patient with its practitioner, in its Slot (or on its ``start`` date).

    Any source but emergency with a booking key; an emergency needs staff. The answer carries the cancel code.
    """
    resource = AppointmentIn.model_validate(await fhir_body(request, RESOURCE_BODY))
    command = build(request, BookToken, BookTokenPayload, booking(resource))
    reply = await send(request, command)
    if reply is None:
        return _pending(request, command)
    return await _answer(request, reply, 201, with_code=True)


async def _cancel(request: web.Request, reason: str | None) -> web.Response:
    """As REST's cancel: staff cancel any token, a booking key presents the token's cancel code."""
    resource_id = request.match_info["id"]
    target = await token_to_change(request, resource_id, Role.STAFF)
    if target is None:
        return error(ErrorCode.TOKEN_NOT_FOUND, f"Appointment/{resource_id} not found", {"id": resource_id})
    payload: dict[str, Any] = {"doctorId": str(target.doctor_id), "tokenId": str(target.token_id), "reason": reason}
    if target.code is not None:
        payload["cancelCode"] = target.code
    command = build(request, CancelToken, CancelTokenPayload, payload)
    reply = await send(request, command)
    if reply is None:
        return _pending(request, command)
    return await _answer(request, reply, 200)


@routes.put("/fhir/Appointment/{id}")
@requires(Role.BOOKING)
async def update_appointment(request: web.Request) -> web.Response:
    """The Appointment with status ``cancelled`` cancels the token; no other change is supported."""
    resource = AppointmentIn.model_validate(await fhir_body(request, RESOURCE_BODY))
    if resource.id is not None and resource.id != request.match_info["id"]:
        raise BadRequest("the body's id must be the id in the URL")
    if resource.status != terms.CANCELLED:
        raise BadRequest("only status cancelled is supported (it cancels the token)")
    reason = resource.cancelation_reason.text if resource.cancelation_reason else None
    return await _cancel(request, reason)


@routes.patch("/fhir/Appointment/{id}")
@requires(Role.BOOKING)
async def patch_appointment(request: web.Request) -> web.Response:
    """JSON Patch ``[{"op": "replace", "path": "/status", "value": "cancelled"}]`` cancels the token."""
    patch = JsonPatch.model_validate(await fhir_body(request, PATCH_BODY))
    return await _cancel(request, cancellation(patch.root))
