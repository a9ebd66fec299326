"""The Devanagari font the board and the status page fall back to: a hall's TV or a patient's phone may have none.

Served by the gateway itself (the hall's network may reach nothing else); the pages ask for it only when the
device has no Noto Sans Devanagari of its own and only for Devanagari text (``templates/devanagari.css``).
"""

from pathlib import Path

from aiohttp import web

from gateway.auth import public
from gateway.static_files import named_file

FONTS = Path(__file__).resolve().parent / "fonts"
SERVED = frozenset({"NotoSansDevanagari-Regular.ttf", "NotoSansDevanagari-Bold.ttf"})

routes = web.RouteTableDef()


@routes.get("/fonts/{name}")
@public
async def font(request: web.Request) -> web.StreamResponse:
    """One of the pages' fonts (SIL Open Font License: ``gateway/fonts/OFL.txt``)."""
    return named_file(FONTS, SERVED, request.match_info["name"], max_age=604800)
