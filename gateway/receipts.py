"""Receipts for commands answered with 202: proof that this caller sent the command, and when.

The status URL of a 202 carries one. While the allocator has not decided, the status answers "pending" only to the
caller holding a fresh receipt; an id nobody was given a receipt for, or whose receipt is older than a day, is 404.
"""

import functools
import hashlib
import hmac
from datetime import datetime, timedelta
from uuid import UUID

PENDING_FOR = timedelta(days=1)


@functools.lru_cache(maxsize=8)
def _key(secret: bytes) -> bytes:
    """Receipts are signed with their own key, derived from the gateway's secret (once per secret)."""
    return hmac.new(secret, b"opd command receipts", hashlib.sha256).digest()


def _mac(secret: bytes, command_id: UUID, issuer: str, stamp: int) -> str:
    message = f"{command_id}\n{issuer}\n{stamp}".encode()
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()[:32]


def receipt(secret: bytes, command_id: UUID, issuer: str, issued_at: datetime) -> str:
    """``<unix seconds>.<mac>``: when the command was accepted, signed for its issuer."""
    stamp = int(issued_at.timestamp())
    return f"{stamp}.{_mac(secret, command_id, issuer, stamp)}"


def is_pending_receipt(secret: bytes, command_id: UUID, issuer: str, presented: str | None, now: datetime) -> bool:
    """True for a receipt this gateway gave ``issuer`` for ``command_id`` less than a day ago."""
    stamp_text, _, mac = (presented or "").partition(".")
    try:
        stamp = int(stamp_text)
    except ValueError:
        return False
    if not hmac.compare_digest(mac, _mac(secret, command_id, issuer, stamp)):
        return False
    return now - datetime.fromtimestamp(stamp, now.tzinfo) <= PENDING_FOR
