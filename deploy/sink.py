"""A webhook receiver for local runs and compose: keeps every notification it is sent and shows them.

``POST /<anything>`` takes the notifier's JSON; with a secret, the ``X-OPD-Signature`` header must be the body's
HMAC-SHA256 (``sha256=<hex>``) or the answer is 401. ``GET /received`` lists what was received, oldest first,
each with the ``Idempotency-Key`` header (a redelivered message repeats it).
"""

import json
import os
import sys
from typing import Any

from aiohttp import web

from shared.signatures import SIGNATURE_HEADER, signature_ok

RECEIVED = web.AppKey("received", list[dict[str, Any]])
SECRET = web.AppKey("secret", str)
ECHO = web.AppKey("echo", bool)


async def _receive(request: web.Request) -> web.Response:
    body = await request.read()
    secret = request.app[SECRET]
    if secret and not signature_ok(secret, body, request.headers.get(SIGNATURE_HEADER)):
        return web.json_response({"received": False, "error": "bad signature"}, status=401)
    try:
        message = json.loads(body)
    except ValueError:
        return web.json_response({"received": False, "error": "not JSON"}, status=400)
    request.app[RECEIVED].append({"idempotencyKey": request.headers.get("Idempotency-Key"), **message})
    if request.app[ECHO]:
        # What arrived, without whom it is for or what it says: the log must not hold patients' details.
        summary = {key: message.get(key) for key in ("eventType", "tokenNumber", "language", "notificationId")}
        print(f"webhook {request.path}: {json.dumps(summary)}", file=sys.stdout, flush=True)
    return web.json_response({"received": True})


async def _received(request: web.Request) -> web.Response:
    return web.json_response(request.app[RECEIVED])


async def _health(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def create_app(secret: str = "", echo: bool = True) -> web.Application:
    app = web.Application()
    app[RECEIVED] = []
    app[SECRET] = secret
    app[ECHO] = echo
    app.router.add_get("/received", _received)
    app.router.add_get("/healthz", _health)
    app.router.add_post("/{tail:.*}", _receive)
    return app


def serve(port: int, secret: str | None = None) -> None:
    """Serve until stopped; the secret defaults to ``OPD_WEBHOOK_SECRET`` (none: signatures are not checked)."""
    app = create_app(os.environ.get("OPD_WEBHOOK_SECRET", "") if secret is None else secret)
    web.run_app(app, host="0.0.0.0", port=port, print=None)
