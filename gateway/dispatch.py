"""Turning a validated request into a command, sending it, and presenting the allocator's reply."""

from typing import Any
from uuid import UUID, uuid4

from aiohttp import web
from pydantic import BaseModel

from gateway.context import BUS, CLOCK, SETTINGS
from gateway.responses import error, json_response
from shared.contracts.commands import CommandBase
from shared.contracts.replies import Reply
from shared.ids import command_id_for_key

IDEMPOTENCY_HEADER = "Idempotency-Key"


def present(reply: Reply, success_status: int = 200) -> web.Response:
    """A reply as the REST contract shows it: the token or doctor as ``data``, the rest alongside."""
    if not reply.ok:
        assert reply.error is not None
        return error(reply.error.code, reply.error.message, {**reply.error.details, "commandId": str(reply.command_id)})
    result = dict(reply.result or {})
    primary = next((key for key in ("token", "doctor") if key in result), None)
    data = result.pop(primary) if primary else result
    extra = result if primary else {}
    return json_response({"success": True, "data": data, **extra, "commandId": str(reply.command_id)}, success_status)


def _command_id(request: web.Request) -> UUID:
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return uuid4()
    return command_id_for_key(f"{request.method} {request.path} {key.strip()}")


async def dispatch(
    request: web.Request,
    command_type: type[CommandBase],
    payload_type: type[BaseModel],
    payload: dict[str, Any],
    success_status: int = 200,
) -> web.Response:
    """Validate, publish with confirms, await the reply; 202 with a status URL if it takes too long."""
    validated = payload_type.model_validate(payload)
    command = command_type(
        command_id=_command_id(request),
        issued_at=request.app[CLOCK].now(),
        source="gateway",
        payload=validated,
    )
    reply = await request.app[BUS].request(command, request.app[SETTINGS].rpc_timeout_seconds)
    if reply is None:
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
    return present(reply, success_status)
