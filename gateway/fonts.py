"""The Devanagari font the board and the status page fall back to: a hall's TV or a patient's phone may have none.

Served by the gateway itself (the hall's network may reach nothing else); the pages ask for it only when the
device has no Noto Sans Devanagari of its own and only for Devanagari text (``templates/devanagari.css``).
"""

from pathlib import Path

from aiohttp import web

from gateway.auth import public

FONTS = Path(__file__).resolve().parent / "fonts"
SERVED = frozenset({"NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"})

routes = web.RouteTableDef()


@routes.get("/fonts/{name}")
@public
async def font(request: web.Request) -> web.StreamResponse:
    """One of the pages' fonts (SIL Open Font License: ``gateway/fonts/OFL.txt``)."""
    name = request.match_info["name"]
    if name not in SERVED:
        raise web.HTTPNotFound()
    return web.FileResponse(FONTS / name, headers={"Cache-Control": "public, max-age=604800"})
