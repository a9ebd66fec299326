"""Turning a validated request into a command, sending it, and presenting the allocator's reply."""

from typing import Any
from uuid import UUID, uuid4

from aiohttp import web
from pydantic import BaseModel

from gateway import bodies, queries
from gateway.cancel_codes import cancel_code
from gateway.context import BUS, CANCEL_SECRET, CLOCK, READER, SETTINGS
from gateway.request_ids import correlation_id
from gateway.responses import error, json_response
from shared.contracts.commands import CommandBase
from shared.contracts.replies import Reply
from shared.ids import command_id_for_key

IDEMPOTENCY_HEADER = "Idempotency-Key"


async def present(
    request: web.Request, command_type: str, reply: Reply, success_status: int = 200, issues_token: bool = False
) -> web.Response:
    """A reply as the REST contract shows it: the original's message and named keys (``gateway.bodies``).

    With ``issues_token``, a new token's response also carries the patient's ``cancelCode``.
    """
    if not reply.ok:
        assert reply.error is not None
        details = bodies.hints(reply.error.details)
        return error(reply.error.code, reply.error.message, {**details, "commandId": str(reply.command_id)})
    result = reply.result or {}
    now = request.app[CLOCK].now()
    facts = None
    if "timeSlots" in result.get("doctor", {}):
        doctor_id, today = UUID(result["doctor"]["id"]), now.astimezone(request.app[SETTINGS].zone).date()
        async with request.app[READER].acquire() as connection:
            facts = (await queries.doctor_facts(connection, [doctor_id], today)).get(doctor_id)
    body = bodies.answer(command_type, result, now, facts)
    if issues_token and "token" in result:
        body["cancelCode"] = cancel_code(request.app[CANCEL_SECRET], UUID(result["token"]["id"]))
    return json_response({"success": True, **body, "commandId": str(reply.command_id)}, success_status)


def command_id(request: web.Request, part: str = "") -> UUID:
    """Random, or derived from the request's Idempotency-Key (and ``part``, for multi-command requests)."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return uuid4()
    return command_id_for_key(f"{request.method} {request.path} {key.strip()} {part}".rstrip())


def build(
    request: web.Request,
    command_type: type[CommandBase],
    payload_type: type[BaseModel],
    payload: dict[str, Any],
    part: str = "",
) -> CommandBase:
    """Validate the payload (a ValidationError becomes a 400) and wrap it in a command."""
    return command_type(
        command_id=command_id(request, part),
        issued_at=request.app[CLOCK].now(),
        source="gateway",
        correlation_id=correlation_id(request),
        payload=payload_type.model_validate(payload),
    )


async def send(request: web.Request, command: CommandBase) -> Reply | None:
    """Publish with confirms and await the reply; None when the allocator has not answered in time."""
    return await request.app[BUS].request(command, request.app[SETTINGS].rpc_timeout_seconds)


def accepted(command: CommandBase) -> web.Response:
    """202: the command is queued; its outcome will be at the status URL."""
    status_url = f"/api/commands/{command.command_id}"
    return json_response(
        {
            "success": True,
            "accepted": True,
            "commandId": str(command.command_id),
            "statusUrl": status_url,
            "message": "accepted; the allocator has not answered yet — poll statusUrl for the outcome",
        },
        202,
        headers={"Location": status_url},
    )


async def dispatch(
    request: web.Request,
    command_type: type[CommandBase],
    payload_type: type[BaseModel],
    payload: dict[str, Any],
    success_status: int = 200,
    issues_token: bool = False,
) -> web.Response:
    """Validate, publish with confirms, await the reply; 202 with a status URL if it takes too long.

    ``issues_token``: the response carries the new token's cancel code.
    """
    command = build(request, command_type, payload_type, payload)
    reply = await send(request, command)
    if reply is None:
        return accepted(command)
    return await present(request, command.type, reply, success_status, issues_token)
