"""Liveness and readiness for orchestrators."""

from aiohttp import web

from gateway.auth import public
from gateway.context import BUS, READER, READINESS, SETTINGS
from gateway.responses import json_response
from shared.command_bus import BrokerUnavailable
from shared.startup import broker_problem, database_problem

routes = web.RouteTableDef()


@routes.get("/healthz")
@public
async def healthz(request: web.Request) -> web.Response:
    return json_response({"success": True, "status": "ok"})


@routes.get("/readyz")
@public
async def readyz(request: web.Request) -> web.Response:
    """Ready when the database and the broker answer; otherwise each failing one says why, in plain words.

    The verdict is reused for ``OPD_READINESS_CACHE_SECONDS`` (1 s), so a flood of probes cannot take the
    database connections the API needs.
    """
    checks = await request.app[READINESS].verdict(lambda: _check(request))
    ready = all(value == "ok" for value in checks.values())
    return json_response(
        {"success": ready, "status": "ready" if ready else "not ready", "checks": checks}, 200 if ready else 503
    )


async def _check(request: web.Request) -> dict[str, str]:
    settings = request.app[SETTINGS]
    checks: dict[str, str] = {}
    try:
        async with request.app[READER].acquire(timeout=5) as connection:
            await connection.fetchval("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; the reason is reported
        checks["database"] = database_problem(exc, settings.reader_dsn, settings.reader_setting)
    try:
        await request.app[BUS].ensure_connected()
        checks["broker"] = "ok"
    except BrokerUnavailable as exc:
        cause = exc.__cause__
        checks["broker"] = broker_problem(cause, settings.amqp_url) if cause else f"{exc} (OPD_AMQP_URL)"
    return checks
