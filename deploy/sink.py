"""A webhook receiver for local runs: prints every JSON POST it gets, one line each."""

import json
import sys

from aiohttp import web


async def _receive(request: web.Request) -> web.Response:
    body = await request.text()
    try:
        shown = json.dumps(json.loads(body), ensure_ascii=False)
    except ValueError:
        shown = body
    print(f"webhook {request.path}: {shown}", file=sys.stdout, flush=True)
    return web.json_response({"received": True})


def serve(port: int) -> None:
    app = web.Application()
    app.router.add_post("/{tail:.*}", _receive)
    web.run_app(app, host="0.0.0.0", port=port, print=None)
