"""FHIR JSON on the wire: responses as ``application/fhir+json``, request bodies of the media types we read."""

from typing import Any

from aiohttp import web

from gateway.fhir.terms import MEDIA_TYPE
from gateway.requests import BadRequest
from shared.codec import dumps, loads
from shared.errors import ErrorCode, Rejection

RESOURCE_BODY = (MEDIA_TYPE, "application/json")
PATCH_BODY = ("application/json-patch+json", "application/json")


def fhir_response(resource: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=dumps(resource), status=status, content_type=MEDIA_TYPE, headers=headers)


def base_url(request: web.Request) -> str:
    """The service base of absolute URLs (``fullUrl``, paging links), as the client reached it."""
    return f"{request.url.origin()}/fhir"


async def fhir_body(request: web.Request, media_types: tuple[str, ...]) -> Any:
    """The request's JSON; another media type is 415, an empty body 400."""
    raw = await request.read()
    if not raw.strip():
        raise BadRequest("a JSON body is required")
    if request.content_type not in media_types:
        raise Rejection(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"the body must be {' or '.join(media_types)}, not {request.content_type or 'untyped'}",
            contentType=request.content_type,
        )
    return loads(raw)
