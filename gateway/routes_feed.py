"""``GET /api/events/stream``: the live feed as Server-Sent Events (public fields only)."""

import contextlib
from typing import get_args
from uuid import UUID

from aiohttp import web

from gateway.auth import public
from gateway.context import FEED, READER, SETTINGS, STREAMS
from gateway.errors import RETRY_AFTER
from gateway.live_feed import FeedItem, SubscriptionEnded
from gateway.requests import BadRequest
from gateway.responses import error
from gateway.stream_limits import TooManyStreams
from shared.codec import dumps
from shared.contracts.events import Event
from shared.errors import ErrorCode

routes = web.RouteTableDef()
BIND_TIMEOUT_SECONDS = 5.0
MAX_DOCTORS = 50
RETRY_MILLISECONDS = 3000
EVENT_TYPES = frozenset(model.model_fields["type"].default for model in get_args(get_args(Event)[0]))


def _ids(text: str, name: str) -> frozenset[UUID]:
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise BadRequest(f"{name} is required (one or more doctor ids, comma-separated)", errors=[{"field": name}])
    if len(parts) > MAX_DOCTORS:
        raise BadRequest(f"at most {MAX_DOCTORS} doctors per stream")
    try:
        return frozenset(UUID(part) for part in parts)
    except ValueError:
        raise BadRequest(f"{name} must be UUIDs", errors=[{"field": name, "message": "not a UUID"}]) from None


def doctor_ids(request: web.Request) -> frozenset[UUID]:
    """``doctorId`` (or ``doctorIds``): one or more ids, comma-separated."""
    name = "doctorId" if "doctorId" in request.query else "doctorIds"
    return _ids(",".join(request.query.getall(name, [])), name)


def _types(request: web.Request) -> frozenset[str] | None:
    text = request.query.get("types", "").strip()
    if not text:
        return None
    wanted = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(wanted - EVENT_TYPES)
    if unknown:
        raise BadRequest(f"unknown event types {unknown}; known: {sorted(EVENT_TYPES)}", errors=[{"field": "types"}])
    return wanted


async def unknown_doctors(request: web.Request, wanted: frozenset[UUID]) -> list[str]:
    async with request.app[READER].acquire() as connection:
        rows = await connection.fetch("SELECT id FROM doctors WHERE id = any($1::uuid[])", list(wanted))
    return sorted(str(d) for d in wanted - {row["id"] for row in rows})


def frame(item: FeedItem) -> bytes:
    lines = [f"id: {item.id}"] if item.id else []
    lines += [f"event: {item.event}", f"data: {dumps(item.data).decode()}"]
    return ("\n".join(lines) + "\n\n").encode()


@routes.get("/api/events/stream")
@public
async def stream(request: web.Request) -> web.StreamResponse:
    """Events for the doctors asked for, as they happen; a comment line every ~15 s keeps proxies awake."""
    wanted = doctor_ids(request)
    types = _types(request)
    missing = await unknown_doctors(request, wanted)
    if missing:
        return error(ErrorCode.DOCTOR_NOT_FOUND, f"doctors not found: {missing}", {"doctorIds": missing})
    try:
        with request.app[STREAMS].admit(request.remote or "unknown"):
            return await _serve(request, wanted, types)
    except TooManyStreams as refusal:
        return error(ErrorCode.RATE_LIMITED, str(refusal), status=429, headers=RETRY_AFTER)


async def _serve(request: web.Request, wanted: frozenset[UUID], types: frozenset[str] | None) -> web.StreamResponse:
    feed = request.app[FEED]
    heartbeat = request.app[SETTINGS].feed_heartbeat_seconds
    async with feed.subscribe(wanted, types) as subscription:
        if not await feed.wait_bound(BIND_TIMEOUT_SECONDS):
            return error(ErrorCode.BROKER_UNAVAILABLE, "the live feed is unavailable", headers=RETRY_AFTER)
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )
        await response.prepare(request)
        with contextlib.suppress(ConnectionError):
            await response.write(f"retry: {RETRY_MILLISECONDS}\n: connected\n\n".encode())
            while True:
                try:
                    item = await subscription.next(heartbeat)
                except SubscriptionEnded as ended:
                    await response.write(f": closed ({ended})\n\n".encode())
                    break
                await response.write(frame(item) if item is not None else b": heartbeat\n\n")
    return response
