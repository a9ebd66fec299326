"""The gateway's Prometheus metrics (HTTP requests by route template, and ``GET /metrics``) and its access log: a
line per request at INFO (method, path, status, duration; the request and correlation ids are stamped on it),
probes (``/healthz``, ``/readyz``, ``/metrics``) at DEBUG."""

import logging
import time

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest

from gateway.auth import public
from gateway.errors import Handler

ACCESS_LOG = logging.getLogger("gateway.access")
PROBES = frozenset({"/healthz", "/readyz", "/metrics"})
UNMATCHED = "unmatched"  # no route: a label per unknown path would let anyone grow the series without bound

HTTP_REQUESTS = Counter("opd_http_requests", "HTTP requests answered", ["method", "route", "status"])
HTTP_SECONDS = Histogram("opd_http_request_seconds", "Time to answer an HTTP request", ["method", "route"])

routes = web.RouteTableDef()


def route_of(request: web.Request) -> str:
    """The matched route's template (``/api/tokens/{tokenId}``), never the raw path: no ids in labels."""
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else UNMATCHED


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Counts and times every answer, the error middleware's included (it runs inside this one)."""
    started = time.monotonic()
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        _observe(request, exc.status, started)
        raise
    except Exception:
        _observe(request, 500, started)
        raise
    _observe(request, response.status, started)
    return response


def _observe(request: web.Request, status: int, started: float) -> None:
    seconds = time.monotonic() - started
    route = route_of(request)
    HTTP_REQUESTS.labels(method=request.method, route=route, status=str(status)).inc()
    HTTP_SECONDS.labels(method=request.method, route=route).observe(seconds)
    ACCESS_LOG.log(
        logging.DEBUG if request.path in PROBES else logging.INFO,
        "%s %s %d %.1f ms",
        request.method,
        request.path,  # never the query string: a search may name a patient
        status,
        seconds * 1000,
        extra={
            "method": request.method,
            "path": request.path,
            "status": status,
            "durationMs": round(seconds * 1000, 1),
        },
    )


@routes.get("/metrics")
@public
async def metrics_page(request: web.Request) -> web.Response:
    """The Prometheus text exposition of this process's metrics (no personal data in any label)."""
    return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})
