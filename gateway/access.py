"""The access middleware: identify the caller, apply the rate limits, enforce the route's declared access."""

from aiohttp import web

from gateway.auth import ANONYMOUS, Caller, access_of, presented_key
from gateway.context import IP_LIMITER, KEY_LIMITER, KEYS
from gateway.errors import Handler
from gateway.rate_limit import retry_after
from gateway.responses import error
from shared.errors import ErrorCode

CALLER = web.RequestKey("caller", Caller)
UNMETERED = frozenset({"/healthz", "/readyz", "/metrics"})
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="opd", charset="UTF-8"'}


def caller_of(request: web.Request) -> Caller:
    caller: Caller = request.get(CALLER, ANONYMOUS)
    return caller


@web.middleware
async def access_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    caller = request.app[KEYS].identify(presented_key(request))
    if request.path not in UNMETERED:
        keyed = caller is not None and caller.role is not None
        limiter = request.app[KEY_LIMITER] if keyed else request.app[IP_LIMITER]
        wait = limiter.acquire(f"key:{caller.name}" if keyed and caller else f"ip:{request.remote}")
        if wait:
            return error(
                ErrorCode.RATE_LIMITED,
                f"too many requests; retry after {retry_after(wait)} s",
                status=429,
                headers={"Retry-After": retry_after(wait)},
            )
    if caller is None:
        return error(ErrorCode.INVALID_API_KEY, "this API key is not valid", status=401, headers=CHALLENGE)
    if request.match_info.http_exception is not None:
        return await handler(request)  # 404 / 405 as usual
    access = access_of(request.match_info.handler)
    if access is None:  # a route that declares nothing fails closed
        return error(ErrorCode.FORBIDDEN, "this endpoint is not open to any caller", status=403)
    needed = access.role
    if needed is not None and not caller.has(needed):
        if caller.role is None:
            return error(
                ErrorCode.UNAUTHENTICATED,
                f"an API key with the {needed} role is required (header X-API-Key or Authorization: Bearer)",
                {"requiredRole": str(needed)},
                status=401,
                headers=CHALLENGE,
            )
        return error(
            ErrorCode.FORBIDDEN,
            f"this needs the {needed} role; key {caller.name!r} has {caller.role}",
            {"requiredRole": str(needed), "role": str(caller.role)},
            status=403,
        )
    request[CALLER] = caller
    return await handler(request)
