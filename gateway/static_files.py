"""Files the gateway serves itself (a hospital's network may reach nothing else): only those named, cached."""

from collections.abc import Set
from pathlib import Path

from aiohttp import web


def named_file(folder: Path, served: Set[str], name: str, max_age: int) -> web.FileResponse:
    """``folder / name`` if ``name`` is one of ``served`` (no other path can be asked for), else 404."""
    if name not in served:
        raise web.HTTPNotFound()
    return web.FileResponse(folder / name, headers={"Cache-Control": f"public, max-age={max_age}"})
