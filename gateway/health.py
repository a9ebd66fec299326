"""Liveness and readiness for orchestrators."""

from aiohttp import web

from gateway.auth import public
from gateway.context import BUS, READER
from gateway.responses import json_response
from shared.command_bus import BrokerUnavailable

routes = web.RouteTableDef()


@routes.get("/healthz")
@public
async def healthz(request: web.Request) -> web.Response:
    return json_response({"success": True, "status": "ok"})


@routes.get("/readyz")
@public
async def readyz(request: web.Request) -> web.Response:
    checks: dict[str, str] = {}
    try:
        async with request.app[READER].acquire() as connection:
            await connection.fetchval("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; the reason is reported
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        await request.app[BUS].ensure_connected()
        checks["broker"] = "ok"
    except BrokerUnavailable as exc:
        checks["broker"] = f"unavailable: {exc}"
    ready = all(value == "ok" for value in checks.values())
    return json_response(
        {"success": ready, "status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503
    )
