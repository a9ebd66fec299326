"""Reading requests: JSON bodies, path ids, query dates, pages. Bad input raises before anything is sent."""

from datetime import date
from typing import Any
from uuid import UUID

from aiohttp import web

from gateway.context import CLOCK, SETTINGS
from shared.codec import DecodeError, loads
from shared.errors import ErrorCode, Rejection


class BadRequest(Rejection):
    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(ErrorCode.INVALID_REQUEST, message, **details)


JSON = "application/json"


async def json_body(request: web.Request, required: bool = True) -> dict[str, Any]:
    """The request's JSON object; a body of another media type is 415 (forms are not read as JSON)."""
    raw = await request.read()
    if not raw.strip():
        if required:
            raise BadRequest("a JSON object body is required")
        return {}
    if request.content_type != JSON:
        raise Rejection(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"the body must be {JSON}, not {request.content_type or 'untyped'}",
            contentType=request.content_type,
        )
    body = loads(raw)
    if not isinstance(body, dict):
        raise DecodeError("the body must be a JSON object")
    return body


def path_uuid(request: web.Request, name: str) -> UUID:
    try:
        return UUID(request.match_info[name])
    except ValueError:
        raise BadRequest(f"{name} must be a UUID", errors=[{"field": name, "message": "not a UUID"}]) from None


MAX_DAYS_AWAY = 366


def query_date(request: web.Request) -> date:
    """``?date=YYYY-MM-DD`` within a year of today (default today, in the hospital's time zone)."""
    settings = request.app[SETTINGS]
    today = request.app[CLOCK].now().astimezone(settings.zone).date()
    text = request.query.get("date")
    if not text:
        return today
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise BadRequest("date must be YYYY-MM-DD", errors=[{"field": "date", "message": "not a date"}]) from None
    if abs((day - today).days) > MAX_DAYS_AWAY:
        raise BadRequest(
            f"date must be within {MAX_DAYS_AWAY} days of today", errors=[{"field": "date", "message": "out of range"}]
        )
    return day


MAX_OFFSET = 1_000_000


def page(request: web.Request, default_limit: int = 50, max_limit: int = 200) -> tuple[int, int]:
    try:
        limit = int(request.query.get("limit", default_limit))
        offset = int(request.query.get("offset", 0))
    except ValueError:
        raise BadRequest("limit and offset must be integers") from None
    if not 1 <= limit <= max_limit or not 0 <= offset <= MAX_OFFSET:
        raise BadRequest(f"limit must be 1..{max_limit} and offset 0..{MAX_OFFSET}")
    return limit, offset


def query_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """``?name=N`` as an integer in ``low..high`` (``default`` when absent)."""
    try:
        value = int(request.query.get(name, default))
    except ValueError:
        raise BadRequest(f"{name} must be an integer") from None
    if not low <= value <= high:
        raise BadRequest(f"{name} must be {low}..{high}")
    return value
