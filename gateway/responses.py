"""JSON bodies of the public REST contract: ``success`` in every body, camelCase fields, named keys."""

from typing import Any

from aiohttp import web

from shared.codec import dumps
from shared.errors import ErrorCode, http_status


def json_response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(body=dumps(body), status=status, content_type="application/json", headers=headers)


def ok(**named: Any) -> web.Response:
    """``{"success": true, ...}``: each part under its own name (``doctor``, ``tokens``, ``slots``…)."""
    return json_response({"success": True, **named})


def error(
    code: ErrorCode | str,
    message: str,
    details: dict[str, Any] | None = None,
    *,
    status: int | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    """``{"success": false, "error", "code", ...details}`` with the code's HTTP status unless one is given."""
    body = {**(details or {}), "success": False, "error": message, "code": str(code)}
    return json_response(body, status or http_status(code), headers)


SERVER_NAME = "opd-gateway"


async def hide_versions(request: web.Request, response: web.StreamResponse) -> None:
    """``on_response_prepare``: the ``Server`` header names the product, not the Python and aiohttp versions."""
    response.headers["Server"] = SERVER_NAME
