"""Request ids: the caller's ``X-Request-ID`` when sane, else a new one; echoed on the response, stamped on every
log line written while handling the request, and sent with its commands as their ``correlationId``."""

import re
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from aiohttp import web

from gateway.errors import Handler
from shared import log_context

HEADER = "X-Request-ID"
_SANE = re.compile(r"[A-Za-z0-9._-]{1,64}")
_NAMESPACE = uuid5(NAMESPACE_URL, "urn:opd:request-id")
REQUEST_ID = web.RequestKey("request_id", str)
CORRELATION_ID = web.RequestKey("correlation_id", UUID)


def request_id_of(request: web.Request) -> str:
    given = request.headers.get(HEADER, "")
    return given if _SANE.fullmatch(given) else str(uuid4())


def correlation_id_for(request_id: str) -> UUID:
    """The request id itself when it is a UUID, else a UUIDv5 of it (the same id always maps alike)."""
    try:
        return UUID(request_id)
    except ValueError:
        return uuid5(_NAMESPACE, request_id)


def correlation_id(request: web.Request) -> UUID | None:
    """The correlation id of the request's commands (None outside the middleware)."""
    return request.get(CORRELATION_ID)


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    request_id = request_id_of(request)
    request[REQUEST_ID] = request_id
    request[CORRELATION_ID] = correlation_id_for(request_id)
    with log_context.bound(request_id=request_id, correlation_id=request[CORRELATION_ID]):
        return await handler(request)


async def echo_request_id(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: every response carries its request id, errors and event streams included."""
    if REQUEST_ID in request:
        response.headers[HEADER] = request[REQUEST_ID]
