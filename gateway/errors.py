"""The one place where failures become HTTP: status code and a JSON body, never an HTML page."""

import logging
from collections.abc import Awaitable, Callable

import asyncpg
from aiohttp import web
from pydantic import ValidationError

from gateway.responses import error
from shared import db
from shared.codec import DecodeError, field_errors
from shared.command_bus import BrokerUnavailable
from shared.errors import ErrorCode, Rejection

log = logging.getLogger(__name__)
RETRY_AFTER = {"Retry-After": "5"}
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_HTTP_CODES = {
    400: ErrorCode.INVALID_REQUEST,
    404: ErrorCode.NOT_FOUND,
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
}


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except Rejection as exc:
        return error(exc.code, exc.message, exc.details)
    except ValidationError as exc:
        return error(ErrorCode.INVALID_REQUEST, "request validation failed", {"errors": field_errors(exc)})
    except DecodeError as exc:
        return error(ErrorCode.INVALID_REQUEST, str(exc), {"errors": exc.errors})
    except BrokerUnavailable as exc:
        log.warning("broker unavailable: %s", exc)
        return error(
            ErrorCode.BROKER_UNAVAILABLE, "the command service is unavailable; nothing was done", headers=RETRY_AFTER
        )
    except asyncpg.CharacterNotInRepertoireError:  # e.g. a NUL (\u0000) in a path or query text
        return error(ErrorCode.INVALID_REQUEST, "the request has text the database cannot hold (a NUL character)")
    except db.CONNECTION_ERRORS as exc:
        log.warning("database unavailable: %r", exc)
        return error(ErrorCode.DATABASE_UNAVAILABLE, "the database is unavailable", headers=RETRY_AFTER)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = _HTTP_CODES.get(exc.status, "HTTP_ERROR")
        return error(code, exc.reason, status=exc.status)
    except Exception:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error(ErrorCode.INTERNAL_ERROR, "internal error")
