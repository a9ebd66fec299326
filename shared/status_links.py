"""A patient's status link ``/t/<code>``: one token, its visit day, nothing stored.

The code is the token id, the visit day and an HMAC of both (96 bits) under a key derived from the cancel-code
secret, in URL-safe base 64 without padding: 42 characters. Any replica of any service computes and checks it;
it is valid until the end of the visit day in the hospital's zone. The token id is public (the live feed carries
it), so the MAC alone makes the code unguessable.
"""

import base64
import binascii
import functools
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from uuid import UUID

PATH_PREFIX = "/t/"
_CONTEXT = b"opd status link v1"  # separates this key from the cancel codes' use of the same secret
_DAY_BYTES = 3
_MAC_BYTES = 12
_CODE_BYTES = 16 + _DAY_BYTES + _MAC_BYTES


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What a valid code names."""

    token_id: UUID
    day: date


@functools.lru_cache(maxsize=8)
def _key(secret: bytes) -> bytes:
    """Derived once per secret, not once per link."""
    return hmac.new(secret, _CONTEXT, hashlib.sha256).digest()


def _mac(secret: bytes, body: bytes) -> bytes:
    return hmac.new(_key(secret), body, hashlib.sha256).digest()[:_MAC_BYTES]


def status_code(secret: bytes, token_id: UUID, day: date) -> str:
    body = token_id.bytes + day.toordinal().to_bytes(_DAY_BYTES, "big")
    return base64.urlsafe_b64encode(body + _mac(secret, body)).decode().rstrip("=")


def read_status_code(secret: bytes, code: str, today: date) -> LinkTarget | None:
    """The token and day a code names, or None when it is malformed, forged, or its day has passed."""
    if len(code) > 64:
        return None
    try:
        raw = base64.urlsafe_b64decode(code + "=" * (-len(code) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != _CODE_BYTES:
        return None
    body, mac = raw[: 16 + _DAY_BYTES], raw[16 + _DAY_BYTES :]
    if not hmac.compare_digest(mac, _mac(secret, body)):
        return None
    day = date.fromordinal(int.from_bytes(body[16:], "big"))
    return LinkTarget(UUID(bytes=body[:16]), day) if day >= today else None


@dataclass(frozen=True, slots=True)
class StatusLinks:
    """Makes the links: absolute under ``base_url`` (the hospital's public address), else bare paths."""

    secret: bytes
    base_url: str | None = None

    def url(self, token_id: UUID, day: date) -> str:
        path = f"{PATH_PREFIX}{status_code(self.secret, token_id, day)}"
        return f"{self.base_url.rstrip('/')}{path}" if self.base_url else path
