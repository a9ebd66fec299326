"""Signed webhooks, both ways: ``X-OPD-Signature: sha256=<hex HMAC-SHA256 of the body>`` under a shared secret."""

import hashlib
import hmac

SIGNATURE_HEADER = "X-OPD-Signature"


def signature(secret: str, body: bytes) -> str:
    """What the sender puts in the header, and the receiver recomputes to trust the message."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """The header is the body's signature (compared in constant time)."""
    return header is not None and hmac.compare_digest(signature(secret, body).encode(), header.encode())
