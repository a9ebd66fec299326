"""The page's actions: "I'm running late" and "Cancel my token", authorized by the link's code alone.

Each is a command through the normal path, sent for the link's caller (the booking role) with the token's
cancel code, so the allocator checks the code again where the change is written, as for a patient app's cancel.
The answer is the page's fresh view, or the refusal (e.g. already moved back once).
"""

from aiohttp import web
from pydantic import BaseModel

from gateway.auth import public
from gateway.context import CANCEL_SECRET, READER
from gateway.dispatch import accepted, build, refusal, send
from gateway.responses import ok
from gateway.status_page.limits import PATIENT_LIMITS, over_limit
from gateway.status_page.routes import link_not_found, linked_token, read_page
from shared.cancel_codes import cancel_code
from shared.contracts.caller import Caller, Role
from shared.contracts.commands import AnyCommand, CancelToken, CancelTokenPayload, RecallToken, RecallTokenPayload
from shared.contracts.views import TokenView

routes = web.RouteTableDef()
LINK_CALLER = Caller(name="status-link", role=Role.BOOKING)
"""Whom a page action is sent for: the booking role, with the token's cancel code, which the allocator checks."""


def for_patient(
    request: web.Request,
    caller: Caller,
    token: TokenView,
    command_type: type[AnyCommand],
    payload_type: type[BaseModel],
    **extra: object,
) -> AnyCommand:
    """A command about the patient's own token, for ``caller`` (below staff), with the token's cancel code."""
    payload = {
        "doctorId": str(token.doctor_id),
        "tokenId": str(token.id),
        "cancelCode": cancel_code(request.app[CANCEL_SECRET], token.id),
        **extra,
    }
    return build(request, command_type, payload_type, payload, caller=caller)


async def _act(
    request: web.Request, command_type: type[AnyCommand], payload_type: type[BaseModel], **extra: object
) -> web.Response:
    refused = over_limit(request.app[PATIENT_LIMITS].actions, f"link:{request.match_info['code']}")
    if refused is not None:
        return refused
    async with request.app[READER].acquire() as connection:
        token = await linked_token(request, connection)
    if token is None:
        return link_not_found()
    command = for_patient(request, LINK_CALLER, token, command_type, payload_type, **extra)
    reply = await send(request, command)
    if reply is None:
        return accepted(request, command)
    if not reply.ok:
        return refusal(reply)
    found = await read_page(request)
    return ok(status=found[1]) if found else link_not_found()


@routes.post("/t/{code}/late")
@public
async def running_late(request: web.Request) -> web.Response:
    """The patient will be late: back after the next few patients, once (a recall before the call)."""
    return await _act(request, RecallToken, RecallTokenPayload)


@routes.post("/t/{code}/cancel")
@public
async def cancel(request: web.Request) -> web.Response:
    """The patient cancels their token (the page asks for confirmation first)."""
    return await _act(request, CancelToken, CancelTokenPayload, reason="cancelled by the patient")
