"""``GET /api/tokens/:tokenId/notifications``: every message a patient was sent, with its status (read-only).

Columns are those of the notifier's delivery log (migration 0003). Per-attempt detail, when the notifier
records it, joins in ``_attempts`` keyed by notification id, leaving the endpoint's shape as it is.
"""

import datetime as dt
from uuid import UUID

import asyncpg
from aiohttp import web

from gateway.auth import patient_data
from gateway.context import READER, SETTINGS
from gateway.patient_access import readable_token
from gateway.responses import error, json_response
from shared.contracts.base import Contract
from shared.errors import ErrorCode

routes = web.RouteTableDef()

_COLUMNS = (
    "id, event_id, event_type, channel, recipient, message, status, attempts, last_error, created_at, delivered_at"
)


class NotificationView(Contract):
    id: int
    event_id: UUID
    event_type: str
    channel: str
    recipient: str
    message: str
    status: str
    attempts: int
    last_error: str | None = None
    created_at: dt.datetime
    delivered_at: dt.datetime | None = None


async def notifications(connection: asyncpg.Connection, token_id: UUID, zone: dt.tzinfo) -> list[NotificationView]:
    rows = await connection.fetch(
        f"SELECT {_COLUMNS} FROM notifications WHERE token_id = $1 ORDER BY created_at, id", token_id
    )
    return [_view(row, zone) for row in rows]


def _view(row: asyncpg.Record, zone: dt.tzinfo) -> NotificationView:
    values = dict(row)
    for instant in ("created_at", "delivered_at"):
        if values[instant] is not None:
            values[instant] = values[instant].astimezone(zone)
    return NotificationView.model_validate(values)


@routes.get("/api/tokens/{tokenId}/notifications")
@patient_data
async def token_notifications(request: web.Request) -> web.Response:
    """The token's messages, oldest first; ``:tokenId`` is the id or the tokenNumber. Staff, or the cancel code."""
    ref = request.match_info["tokenId"]
    zone = request.app[SETTINGS].zone
    async with request.app[READER].acquire() as connection:
        found = await readable_token(request, connection, ref)
        if found is None:
            return error(ErrorCode.TOKEN_NOT_FOUND, f"token {ref} not found", {"tokenId": ref})
        sent = await notifications(connection, found.id, zone)
    return json_response(
        {
            "success": True,
            "tokenId": str(found.id),
            "tokenNumber": found.token_number,
            "notifications": [view.model_dump(mode="json") for view in sent],
            "count": len(sent),
        }
    )
