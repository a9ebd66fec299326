"""The board's page: Jinja2 templates in ``gateway/templates`` (through aiohttp-jinja2), labels from the
catalogs in the board's languages, times in the hospital's zone whatever the TV's.

The page is self-contained (inline CSS and script; the logo, if any, as a data URI): a hall's TV may reach
nothing but the gateway.
"""

import base64
import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from gateway.board_labels import SCRIPT_LABELS
from shared.codec import dumps
from shared.i18n.catalogs import translator
from shared.i18n.times import DAY_PERIOD_LANGUAGES

TEMPLATES = Path(__file__).resolve().parent / "templates"


@dataclass(frozen=True, slots=True)
class BoardLook:
    """What the hospital sets once: its name and logo, the languages of the labels, how pages rotate."""

    hospital: str
    logo: str | None  # a data: URI
    languages: tuple[str, ...]
    page_size: int
    page_seconds: float
    zone: str


BOARD_LOOK = web.AppKey("board_look", BoardLook)


def logo_uri(path: Path | None) -> str | None:
    if path is None:
        return None
    kind = mimetypes.guess_type(path.name)[0] or "image/png"
    return f"data:{kind};base64,{base64.b64encode(path.read_bytes()).decode()}"


def setup_templates(app: web.Application) -> None:
    aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True)


def _labels(message: str, languages: tuple[str, ...], **params: object) -> Markup:
    """One label in every board language, the first largest: ``<span lang="en">…</span><span lang="hi">…</span>``."""
    spans = [
        Markup('<span lang="{}">{}</span>').format(code, translator(code).text(message, **params)) for code in languages
    ]
    return Markup("").join(spans)


def page_context(look: BoardLook, title: str, doctors: list[dict[str, Any]], types: list[str]) -> dict[str, Any]:
    """What the template needs; the script's config is JSON that is safe inside a script element."""
    config = {
        "doctors": doctors,
        "types": types,
        "zone": look.zone,
        "locales": [str(translator(code).locale).replace("_", "-") for code in look.languages],
        "languages": list(look.languages),
        "dayPeriods": [code in DAY_PERIOD_LANGUAGES for code in look.languages],  # "सुबह 9:31", not "9:31 am"
        "labels": {key: [translator(c).blank(m) for c in look.languages] for key, m in SCRIPT_LABELS.items()},
        "pageSize": look.page_size,
        "pageSeconds": look.page_seconds,
    }
    script = dumps(config).decode().replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return {
        "title": title,
        "look": look,
        "config": Markup(script),
        "_": lambda message: _labels(message, look.languages),
        "escape": escape,
    }
