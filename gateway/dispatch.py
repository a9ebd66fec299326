"""Turning a validated request into a command, sending it, and presenting the allocator's reply."""

from datetime import date
from typing import Any
from uuid import UUID, uuid4

from aiohttp import web
from pydantic import BaseModel

from gateway import bodies, queries
from gateway.access import caller_of
from gateway.context import BUS, CANCEL_SECRET, CLOCK, READER, SETTINGS
from gateway.receipts import receipt
from gateway.request_ids import correlation_id
from gateway.responses import error, json_response
from shared.authority import required_role
from shared.cancel_codes import cancel_code
from shared.contracts.caller import Caller
from shared.contracts.commands import AnyCommand
from shared.contracts.replies import Reply
from shared.errors import ErrorCode, Rejection
from shared.ids import command_id_for_key
from shared.status_links import StatusLinks

IDEMPOTENCY_HEADER = "Idempotency-Key"


async def present(
    request: web.Request, command_type: str, reply: Reply, success_status: int = 200, issues_token: bool = False
) -> web.Response:
    """A reply as the REST contract shows it: the original's message and named keys (``gateway.bodies``).

    With ``issues_token``, a new token's response also carries the patient's ``cancelCode`` and ``statusPage``.
    """
    if not reply.ok:
        return refusal(reply)
    result = reply.result or {}
    now = request.app[CLOCK].now()
    facts = None
    if "timeSlots" in result.get("doctor", {}):
        doctor_id, today = UUID(result["doctor"]["id"]), now.astimezone(request.app[SETTINGS].zone).date()
        async with request.app[READER].acquire() as connection:
            facts = (await queries.doctor_facts(connection, [doctor_id], today)).get(doctor_id)
    body = bodies.answer(command_type, result, now, facts)
    if issues_token and "token" in result:
        token_id, secret = UUID(result["token"]["id"]), request.app[CANCEL_SECRET]
        body["cancelCode"] = cancel_code(secret, token_id)
        day = date.fromisoformat(result["token"]["date"])
        body["statusPage"] = StatusLinks(secret, request.app[SETTINGS].public_base_url).url(token_id, day)
    return json_response({"success": True, **body, "commandId": str(reply.command_id)}, success_status)


def refusal(reply: Reply) -> web.Response:
    """A refused command as the REST contract shows it: the error, the original's hints, the command id."""
    assert reply.error is not None
    details = bodies.hints(reply.error.details)
    return error(reply.error.code, reply.error.message, {**details, "commandId": str(reply.command_id)})


def command_id(request: web.Request, part: str = "") -> UUID:
    """Random, or derived from the caller and the request's Idempotency-Key (and ``part``, for multi-command
    requests): a retry names the same command, another caller's same key another one."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return uuid4()
    return command_id_for_key(caller_of(request).issuer, f"{request.method} {request.path}", key.strip(), part)


def relayed_caller(request: web.Request) -> Caller:
    """The caller as the command names it: the allocator acts for it, and checks its role again."""
    caller = caller_of(request)
    if caller.role is None:  # routes that send commands need a key (a status link passes its own caller)
        raise Rejection(ErrorCode.UNAUTHENTICATED, "an API key is required")
    return Caller(name=caller.name, role=caller.role)


def build(
    request: web.Request,
    command_type: type[AnyCommand],
    payload_type: type[BaseModel],
    payload: dict[str, Any],
    part: str = "",
    caller: Caller | None = None,
) -> AnyCommand:
    """Validate the payload (a ValidationError becomes a 400) and wrap it in a command sent for the caller
    (the request's, unless ``caller`` names the one a credential other than a key stands for).

    The caller's role is checked against the command's least role here as well as by the allocator.
    """
    caller = caller or relayed_caller(request)
    command = command_type(
        command_id=command_id(request, part),
        issued_at=request.app[CLOCK].now(),
        source="gateway",
        correlation_id=correlation_id(request),
        caller=caller,
        payload=payload_type.model_validate(payload),
    )
    needed = required_role(command)
    if needed is None or not caller.may(needed):
        raise Rejection(
            ErrorCode.FORBIDDEN,
            f"this needs the {needed} role; key {caller.name!r} has {caller.role}",
            requiredRole=str(needed),
            role=str(caller.role),
        )
    return command


async def send(request: web.Request, command: AnyCommand) -> Reply | None:
    """Publish with confirms and await the reply; None when the allocator has not answered in time."""
    return await request.app[BUS].request(command, request.app[SETTINGS].rpc_timeout_seconds)


def accepted(request: web.Request, command: AnyCommand) -> web.Response:
    """202: the command is queued; its outcome will be at the status URL, for this caller (the receipt says so)."""
    signed = receipt(request.app[CANCEL_SECRET], command.command_id, caller_of(request).issuer, command.issued_at)
    status_url = f"/api/commands/{command.command_id}?receipt={signed}"
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
    command_type: type[AnyCommand],
    payload_type: type[BaseModel],
    payload: dict[str, Any],
    success_status: int = 200,
    issues_token: bool = False,
) -> web.Response:
    """Validate, publish with confirms, await the reply; 202 with a status URL if it takes too long.

    ``issues_token``: the response carries the new token's cancel code and status page link.
    """
    command = build(request, command_type, payload_type, payload)
    reply = await send(request, command)
    if reply is None:
        return accepted(request, command)
    return await present(request, command.type, reply, success_status, issues_token)
