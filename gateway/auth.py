"""Who may call what: API keys with roles, and the access each route declares.

Roles are ranked (``shared.contracts.caller``): ``admin`` includes ``staff``, which includes ``booking``. A route
declares the least role it needs with ``@requires(Role.X)``, or ``@public``; a route that declares nothing is
refused to everyone, so a forgotten declaration fails closed. Keys are stored as SHA-256 digests only.
"""

import hashlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web

from shared.contracts.caller import KEY_ROLES, Role

log = logging.getLogger(__name__)
ACCESS_ATTRIBUTE = "__opd_access__"
KEY_HEADER = "X-API-Key"

Handler = TypeVar("Handler", bound=Callable[..., Awaitable[web.StreamResponse]])


class Access(StrEnum):
    """What a route requires: nothing, at least a role, or (``patient``) a staff key or the token's cancel code."""

    PUBLIC = "public"
    PATIENT = "patient"
    BOOKING = "booking"
    STAFF = "staff"
    ADMIN = "admin"

    @property
    def role(self) -> Role | None:
        """The role the access middleware checks; a patient route checks the code itself."""
        return None if self in (Access.PUBLIC, Access.PATIENT) else Role(self.value)


def requires(role: Role) -> Callable[[Handler], Handler]:
    def declare(handler: Handler) -> Handler:
        setattr(handler, ACCESS_ATTRIBUTE, Access(role.value))
        return handler

    return declare


def public(handler: Handler) -> Handler:
    setattr(handler, ACCESS_ATTRIBUTE, Access.PUBLIC)
    return handler


def patient_data(handler: Handler) -> Handler:
    """A token's own data: staff see any token; anyone else (a booking key too) presents the token's cancel code."""
    setattr(handler, ACCESS_ATTRIBUTE, Access.PATIENT)
    return handler


def access_of(handler: Any) -> Access | None:
    return getattr(handler, ACCESS_ATTRIBUTE, None)


@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: a key's name and role, or anonymous (``role`` None)."""

    name: str
    role: Role | None

    def has(self, role: Role) -> bool:
        return self.role is not None and self.role.includes(role)

    @property
    def issuer(self) -> str:
        """What the commands this caller sends are recorded under: they belong to it."""
        return f"api:{self.name}"


ANONYMOUS = Caller("anonymous", None)
DEVELOPER = Caller("development-mode", Role.ADMIN)


def digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class InvalidKeyConfig(ValueError):
    """An API key entry that cannot be read: ``name:role:sha256hex``."""


def parse_entries(lines: Iterable[str]) -> dict[str, Caller]:
    """``name:role:sha256hex`` entries (blank lines and ``#`` comments skipped) → digest → caller."""
    keys: dict[str, Caller] = {}
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            name, role, hexdigest = (part.strip() for part in line.split(":"))
            caller = Caller(name, Role(role))
            if caller.role not in KEY_ROLES:
                raise ValueError(role)
        except ValueError:
            raise InvalidKeyConfig(
                f"API key entry {line!r}: expected name:role:sha256hex with role in {', '.join(KEY_ROLES)}"
            ) from None
        if len(hexdigest) != 64 or any(c not in "0123456789abcdef" for c in hexdigest.lower()):
            raise InvalidKeyConfig(f"API key {name!r}: the digest must be 64 hex characters (sha256 of the key)")
        keys[hexdigest.lower()] = caller
    return keys


class KeyRing:
    """The configured keys, looked up by the digest of what the client presents."""

    def __init__(self, entries: dict[str, Caller], development: bool) -> None:
        self.entries = entries
        self.development = development

    @classmethod
    def from_settings(cls, inline: str, file: Path | None, development: bool) -> "KeyRing":
        lines = inline.replace(",", "\n").splitlines()
        if file is not None:
            lines += file.read_text().splitlines()
        return cls(parse_entries(lines), development)

    def identify(self, presented: str | None) -> Caller | None:
        """The caller for a presented key; anonymous without one; None for a key nobody was given."""
        if presented is None:
            return DEVELOPER if self.development else ANONYMOUS
        return self.entries.get(digest(presented))


def presented_key(request: web.Request) -> str | None:
    """``X-API-Key: <key>`` or ``Authorization: Bearer <key>``."""
    key = request.headers.get(KEY_HEADER)
    if key is None:
        scheme, _, value = request.headers.get("Authorization", "").partition(" ")
        key = value if scheme.lower() == "bearer" else None
    key = key.strip() if key else None
    return key or None
