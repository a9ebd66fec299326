"""Prometheus plumbing the allocator and notifier share: the ``/metrics`` (and ``/readyz``) listener and
periodic samplers.

Collectors live in each service's own metrics module, in the default registry, defined once at import.
"""

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from shared.lifecycle import sleep_unless
from shared.readiness import Readiness

log = logging.getLogger(__name__)
SAMPLE_SECONDS = 5.0


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """Scrapes and probes every few seconds are not worth a log line."""


def _routes(readiness: Readiness | None) -> Callable[[dict[str, Any], Any], Iterable[bytes]]:
    """``/readyz`` from ``readiness`` (when given); anything else is Prometheus' ``/metrics``."""
    metrics = make_wsgi_app()

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if readiness is None or environ.get("PATH_INFO") != "/readyz":
            return metrics(environ, start_response)  # type: ignore[no-any-return]
        ready, body = readiness.report()
        start_response("200 OK" if ready else "503 Service Unavailable", [("Content-Type", "application/json")])
        return [body]

    return app


def serve_metrics(port: int, host: str = "0.0.0.0", readiness: Readiness | None = None) -> WSGIServer | None:
    """Serve the default registry at ``http://host:port/metrics`` (and ``/readyz`` when ``readiness`` is given)
    from a daemon thread; ``port=0`` disables it.

    A port already in use is logged and ignored: metrics never stop a service from running. Returns the server
    (``shutdown()`` stops it), or None.
    """
    if port == 0:
        return None
    try:
        server = make_server(host, port, _routes(readiness), ThreadingWSGIServer, handler_class=_QuietHandler)
    except OSError as exc:
        log.warning("metrics not served on port %d: %r", port, exc)
        return None
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    log.info("metrics at http://%s:%d/metrics, readiness at /readyz", host, port)
    return server


async def sample_every(
    probe: Callable[[], Awaitable[None]], stop: asyncio.Event, seconds: float = SAMPLE_SECONDS
) -> None:
    """Run ``probe`` now and every ``seconds`` until ``stop``; a failed probe is logged and tried again later."""
    failing = False
    while not stop.is_set():
        try:
            await probe()
        except Exception as exc:  # a stale gauge must never take the service down
            (log.debug if failing else log.warning)(
                "metrics probe %s failed: %r", getattr(probe, "__name__", probe), exc
            )
            failing = True
        else:
            failing = False
        await sleep_unless(stop, seconds)
