"""FHIR searches: the parameters we support (anything else is refused), date ranges, paging, Bundle searchsets."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from aiohttp import web

from gateway.context import CLOCK, SETTINGS
from gateway.fhir.wire import base_url, fhir_response
from gateway.requests import MAX_DAYS_AWAY, BadRequest

COUNT, OFFSET = "_count", "_offset"
DEFAULT_COUNT, MAX_COUNT, MAX_OFFSET = 50, 200, 100_000
MAX_SPAN_DAYS = 31
_PREFIXES = ("eq", "ge", "le", "gt", "lt")


def params(request: web.Request, supported: Iterable[str]) -> dict[str, list[str]]:
    """The query's parameters, each with its values; one we do not support is 400, not silently ignored."""
    known = {*supported, COUNT, OFFSET}
    unknown = sorted(set(request.query) - known)
    if unknown:
        raise BadRequest(f"unsupported search parameter {unknown[0]!r}; supported: {', '.join(sorted(known))}")
    return {name: request.query.getall(name) for name in request.query}


def one(given: dict[str, list[str]], name: str) -> str | None:
    """The value of a parameter given at most once (comma-separated values stay joined)."""
    values = given.get(name, [])
    if len(values) > 1:
        raise BadRequest(f"{name} may be given once")
    return values[0].strip() if values else None


def choices(given: dict[str, list[str]], name: str, allowed: Sequence[str]) -> frozenset[str] | None:
    """A token parameter's values (``a,b`` means either); None when absent."""
    text = one(given, name)
    if text is None:
        return None
    picked = frozenset(value.strip() for value in text.split(","))
    wrong = sorted(picked - set(allowed))
    if wrong:
        raise BadRequest(f"{name} must be among {', '.join(allowed)}, not {wrong[0]!r}")
    return picked


def reference_id(given: dict[str, list[str]], name: str, resource_type: str) -> str | None:
    """``Type/id`` or a bare id."""
    text = one(given, name)
    if text is None:
        return None
    return text.removeprefix(f"{resource_type}/")


def _day(text: str, name: str, today: date, request: web.Request) -> date:
    """A date, or the hospital's date of a dateTime; within the booking horizon's reach of today."""
    try:
        if "T" in text:
            moment = datetime.fromisoformat(text)
            zone = request.app[SETTINGS].zone
            day = (moment.astimezone(zone) if moment.tzinfo else moment.replace(tzinfo=zone)).date()
        else:
            day = date.fromisoformat(text)
    except (ValueError, OverflowError):  # an offset can carry a dateTime past the calendar's end
        raise BadRequest(
            f"{name} must be a date (YYYY-MM-DD) or a dateTime, optionally prefixed by eq, ge, le, gt or lt"
        ) from None
    if abs((day - today).days) > MAX_DAYS_AWAY:
        raise BadRequest(f"{name} must be within {MAX_DAYS_AWAY} days of today")
    return day


def days(request: web.Request, given: dict[str, list[str]], name: str, default_span: int) -> list[date]:
    """The days a date parameter covers (``2026-12-01``, ``ge2026-12-01&…=le2026-12-07``), at day precision.

    Without it: from today for ``default_span`` days; an open range also runs ``default_span`` days.
    """
    today = request.app[CLOCK].now().astimezone(request.app[SETTINGS].zone).date()
    first: date | None = None
    last: date | None = None
    for value in given.get(name, []):
        prefix, text = (value[:2], value[2:]) if value[:2] in _PREFIXES else ("eq", value)
        day = _day(text.strip(), name, today, request)
        if prefix in ("eq", "ge", "gt"):
            first = max(first or date.min, day + timedelta(days=prefix == "gt"))
        if prefix in ("eq", "le", "lt"):
            last = min(last or date.max, day - timedelta(days=prefix == "lt"))
    if first is None:
        first = today if last is None else last - timedelta(days=default_span - 1)
    if last is None:
        last = first + timedelta(days=default_span - 1)
    if not 0 <= (last - first).days < MAX_SPAN_DAYS:
        raise BadRequest(f"{name} must cover 1 to {MAX_SPAN_DAYS} days")
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass(frozen=True, slots=True)
class Page:
    count: int
    offset: int


def page(given: dict[str, list[str]]) -> Page:
    try:
        count = int(one(given, COUNT) or DEFAULT_COUNT)
        offset = int(one(given, OFFSET) or 0)
    except ValueError:
        raise BadRequest(f"{COUNT} and {OFFSET} must be integers") from None
    if not 1 <= count <= MAX_COUNT or not 0 <= offset <= MAX_OFFSET:
        raise BadRequest(f"{COUNT} must be 1..{MAX_COUNT} and {OFFSET} 0..{MAX_OFFSET}")
    return Page(count, offset)


def _link(request: web.Request, relation: str, offset: int, count: int) -> dict[str, str]:
    """The same search (repeated parameters kept) at another offset."""
    kept = [(name, value) for name, value in request.query.items() if name not in (COUNT, OFFSET)]
    url = request.url.with_query([*kept, (COUNT, str(count)), (OFFSET, str(offset))])
    return {"relation": relation, "url": f"{base_url(request)}{url.path_qs.removeprefix('/fhir')}"}


def searchset(request: web.Request, resources: Sequence[dict[str, Any]], total: int, shown: Page) -> web.Response:
    """A Bundle of one page (``resources``) of ``total`` matches, with self, first, previous and next links."""
    count, offset = shown.count, shown.offset
    links = [_link(request, "self", offset, count), _link(request, "first", 0, count)]
    if offset > 0:
        links.append(_link(request, "previous", max(offset - count, 0), count))
    if offset + count < total:
        links.append(_link(request, "next", offset + count, count))
    root = base_url(request)
    entries = [
        {"fullUrl": f"{root}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
        for r in resources
    ]
    bundle = {"resourceType": "Bundle", "type": "searchset", "total": total, "link": links}
    return fhir_response({**bundle, "entry": entries} if entries else bundle)  # FHIR JSON has no empty arrays
