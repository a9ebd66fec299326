"""The gettext catalogs under ``locales/``: one folder per language, read from the ``.po`` files themselves.

Adding a language is adding ``locales/<code>/LC_MESSAGES/opd.po`` (``pybabel init``); nothing in the code names
the languages. The catalog's ``Language`` header (e.g. ``en_IN``) is the locale its dates and times follow.
"""

import functools
import gettext
import io
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "opd"
FALLBACK = "en"


def N_(message: str) -> str:
    """Marks a message for extraction where it is defined; it is translated where it is used."""
    return message


def NN_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a message with a plural form (``Translator.plural``)."""
    return singular, plural


def catalog_path(language: str) -> Path:
    return LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def languages() -> tuple[str, ...]:
    """The languages with a catalog, e.g. ``("en", "hi")``."""
    return tuple(sorted(path.name for path in LOCALES_DIR.iterdir() if catalog_path(path.name).is_file()))


@dataclass(frozen=True, slots=True)
class Translator:
    """One language's messages, and the locale its dates and times follow."""

    language: str
    locale: Locale
    messages: gettext.GNUTranslations

    def text(self, message: str, **params: object) -> str:
        return self.blank(message).format(**params)

    def blank(self, message: str) -> str:
        """The translation with its ``{blanks}`` left in, for a page's script to fill."""
        return self.messages.gettext(message)

    def plural(self, singular: str, plural: str, count: int, **params: object) -> str:
        return self.messages.ngettext(singular, plural, count).format(count=count, **params)


@functools.cache
def translator(language: str) -> Translator:
    """The catalog of a language (see ``choose_language``); a message it lacks reads as the English original."""
    with catalog_path(language).open("rb") as source:
        catalog = read_po(source)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    locale = catalog.locale or Locale.parse(language)
    return Translator(language, locale, gettext.GNUTranslations(compiled))


def choose_language(wanted: str | None, default: str) -> str:
    """The patient's language when there is a catalog for it, else the hospital's default, else English."""
    for candidate in (wanted, default):
        code = (candidate or "").lower().replace("-", "_").split("_")[0]
        if code in languages():
            return code
    return FALLBACK
