"""``/t/<code>``: the page, and ``/t/<code>/status``: its JSON. The link's code is the only credential.

A code names one token and its visit day (``shared.status_links``); a wrong or expired one gets one plain page,
the same whatever was wrong, so it tells nothing about other tokens.
"""

from typing import Any

import aiohttp_jinja2
import asyncpg
from aiohttp import web

from gateway import queries
from gateway.auth import public
from gateway.context import CANCEL_SECRET, CLOCK, READER, SETTINGS
from gateway.responses import error, ok
from gateway.routes_feed import EVENT_TYPES
from gateway.status_page.limits import PATIENT_LIMITS, over_limit
from gateway.status_page.view import NOT_VALID, PageFacts, page_view
from shared.codec import dumps
from shared.contracts.views import TokenView
from shared.errors import ErrorCode
from shared.i18n.catalogs import choose_language, languages, translator
from shared.i18n.times import LocalTimes
from shared.status_links import read_status_code

routes = web.RouteTableDef()
POLL_SECONDS = 30


async def linked_token(request: web.Request, connection: asyncpg.Connection) -> TokenView | None:
    """The token the link's code names; None for a wrong or expired code (or a token gone since)."""
    settings = request.app[SETTINGS]
    today = request.app[CLOCK].now().astimezone(settings.zone).date()
    target = read_status_code(request.app[CANCEL_SECRET], request.match_info["code"], today)
    if target is None:
        return None
    token = await queries.token(connection, str(target.token_id), settings.zone)
    return token if token is not None and token.date == target.day else None


async def view_of(
    request: web.Request, connection: asyncpg.Connection, token: TokenView, default_language: str = "en"
) -> dict[str, Any]:
    """The token's page view, in the patient's language (else ``default_language``)."""
    settings, now = request.app[SETTINGS], request.app[CLOCK].now()
    doctor = await queries.doctor(connection, token.doctor_id)
    assert doctor is not None  # doctors are never deleted
    before = await queries.patients_before(connection, token.id)
    language = translator(choose_language(token.language, default_language))
    facts = PageFacts(token=token, doctor=doctor, before=before, now=now)
    return {"language": language.language, **page_view(facts, language, LocalTimes(language.locale, settings.zone))}


async def read_page(request: web.Request) -> tuple[TokenView, dict[str, Any]] | None:
    """The token the code names and its page view; None for a wrong or expired code."""
    async with request.app[READER].acquire() as connection:
        token = await linked_token(request, connection)
        return (token, await view_of(request, connection, token)) if token is not None else None


def link_not_found() -> web.Response:
    return error(ErrorCode.NOT_FOUND, "this link is not valid or has expired")


def not_valid(request: web.Request) -> web.Response:
    notes = [(code, translator(code).text(NOT_VALID)) for code in languages()]
    response = aiohttp_jinja2.render_template("status_invalid.html", request, {"notes": notes}, status=404)
    response.headers["Cache-Control"] = "no-store"
    return response


@routes.get("/t/{code}")
@public
async def status_page(request: web.Request) -> web.Response:
    """The patient's page: rendered whole (it works without script), then kept current by its script."""
    refused = over_limit(request.app[PATIENT_LIMITS].reads, request.match_info["code"])
    if refused is not None:
        return refused
    found = await read_page(request)
    if found is None:
        return not_valid(request)
    token, view = found
    config = {
        "statusUrl": f"{request.path}/status",
        "feedUrl": f"/api/events/stream?doctorId={token.doctor_id}",
        "types": [*sorted(EVENT_TYPES), "resync"],
        "pollSeconds": POLL_SECONDS,
    }
    script = dumps(config).decode().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    response = aiohttp_jinja2.render_template("status.html", request, {**view, "config": script})
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"  # the code is in the URL
    return response


@routes.get("/t/{code}/status")
@public
async def status_data(request: web.Request) -> web.Response:
    """The page's view as JSON: what the script polls, and re-reads when the doctor's public feed moves."""
    refused = over_limit(request.app[PATIENT_LIMITS].reads, request.match_info["code"])
    if refused is not None:
        return refused
    found = await read_page(request)
    if found is None:
        return link_not_found()
    response = ok(status=found[1])
    response.headers["Cache-Control"] = "no-store"
    return response
