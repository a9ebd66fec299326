"""A patient's own token: staff see and change any token; anyone else (a booking key too) needs its cancel code."""

from dataclasses import dataclass
from uuid import UUID

import asyncpg
from aiohttp import web

from gateway import queries
from gateway.access import caller_of
from gateway.context import CANCEL_SECRET, READER, SETTINGS
from shared.cancel_codes import CODE_HEADER, is_cancel_code
from shared.contracts.caller import Role
from shared.contracts.views import TokenView
from shared.errors import ErrorCode, Rejection


def presented_code(request: web.Request, body_code: object = None) -> str | None:
    """From the ``X-Cancel-Code`` header, the ``code`` query parameter, or a ``cancelCode`` body field."""
    code = request.headers.get(CODE_HEADER) or request.query.get("code") or body_code
    return str(code) if code else None


def needs_code(request: web.Request, without_code: Role) -> bool:
    """False when the caller's role lets them act on any token."""
    return not caller_of(request).has(without_code)


def require_code(request: web.Request, code: str | None) -> str:
    """The presented code; without one, 401 for an anonymous caller, 403 for a key whose role is too low."""
    if code is None:
        anonymous = caller_of(request).role is None
        raise Rejection(
            ErrorCode.UNAUTHENTICATED if anonymous else ErrorCode.FORBIDDEN,
            "this token's cancel code is required (header X-Cancel-Code, or cancelCode in the body)",
        )
    return code


def check_code(request: web.Request, token_id: UUID, code: str) -> None:
    if not is_cancel_code(request.app[CANCEL_SECRET], token_id, code):
        raise Rejection(ErrorCode.INVALID_CANCEL_CODE, "the cancel code does not match this token")


async def readable_token(request: web.Request, connection: asyncpg.Connection, ref: str) -> TokenView | None:
    """Token ``ref`` (id or number) if the caller may read it: staff, or with its cancel code (refused otherwise).

    None when there is no such token. Without a code, a caller below staff is refused before any lookup.
    """
    code = require_code(request, presented_code(request)) if needs_code(request, Role.STAFF) else None
    found = await queries.token(connection, ref, request.app[SETTINGS].zone)
    if found is not None and code is not None:
        check_code(request, found.id, code)
    return found


@dataclass(frozen=True, slots=True)
class TokenToChange:
    """The token a command will change, its doctor (who owns the shard), and the cancel code the caller gave."""

    token_id: UUID
    doctor_id: UUID
    code: str | None


async def token_to_change(
    request: web.Request, ref: str, without_code: Role | None, body_code: object = None
) -> TokenToChange | None:
    """Token ``ref`` (id or number) for a command; None when there is no such token.

    Below ``without_code``, the caller must present the token's cancel code (refused otherwise); it is checked here
    and travels on in the command, for the allocator to check again.
    """
    coded = without_code is not None and needs_code(request, without_code)
    code = require_code(request, presented_code(request, body_code)) if coded else None
    async with request.app[READER].acquire() as connection:
        found = await queries.token_doctor(connection, ref)
    if found is None:
        return None
    token_id, doctor_id = found
    if code is not None:
        check_code(request, token_id, code)
    return TokenToChange(token_id, doctor_id, code)
