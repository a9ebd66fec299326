"""Cancel codes: what a patient holds to read or cancel their own token without a staff key.

A code is an HMAC of the token id under a secret shared by the gateway replicas and the kiosks, so each computes
or checks it without storing anything; it is shown once, in the booking response or on the kiosk's slip.
"""

import base64
import hashlib
import hmac
from uuid import UUID


def cancel_code(secret: bytes, token_id: UUID) -> str:
    """Ten base-32 characters in two groups, e.g. ``K7Q2M-9XDAB`` (50 bits)."""
    mac = hmac.new(secret, token_id.bytes, hashlib.sha256).digest()
    text = base64.b32encode(mac).decode()[:10]
    return f"{text[:5]}-{text[5:]}"


def is_cancel_code(secret: bytes, token_id: UUID, presented: str) -> bool:
    """Case, spaces and dashes do not matter; the comparison takes constant time, whatever the text."""
    normalized = presented.upper().replace("-", "").replace(" ", "")
    expected = cancel_code(secret, token_id).replace("-", "")
    return hmac.compare_digest(normalized.encode(), expected.encode())  # as bytes: any text may be presented
