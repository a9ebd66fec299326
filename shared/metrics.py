"""Prometheus plumbing the allocator and notifier share: the ``/metrics`` listener and periodic samplers.

Collectors live in each service's own metrics module, in the default registry, defined once at import.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from wsgiref.simple_server import WSGIServer

from prometheus_client import start_http_server

from shared.lifecycle import sleep_unless

log = logging.getLogger(__name__)
SAMPLE_SECONDS = 5.0


def serve_metrics(port: int, host: str = "0.0.0.0") -> WSGIServer | None:
    """Serve the default registry at ``http://host:port/metrics`` from a daemon thread; ``port=0`` disables it.

    A port already in use is logged and ignored: metrics never stop a service from running. Returns the server
    (``shutdown()`` stops it), or None.
    """
    if port == 0:
        return None
    try:
        server, _ = start_http_server(port, host)
    except OSError as exc:
        log.warning("metrics not served on port %d: %r", port, exc)
        return None
    log.info("metrics at http://%s:%d/metrics", host, port)
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
