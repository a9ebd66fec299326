"""Cancel codes: what a patient holds to read or cancel their own token without a staff key.

A code is an HMAC of the token id under the hospital's secret (``OPD_CANCEL_CODE_SECRET``), so every gateway replica
computes and checks it without storing anything, and the allocator checks it again where a cancel is applied.
It is shown to the booking's issuer only.
"""

import base64
import hashlib
import hmac
from uuid import UUID

CODE_HEADER = "X-Cancel-Code"


def cancel_code(secret: bytes, token_id: UUID) -> str:
    """Ten base-32 characters in two groups, e.g. ``K7Q2M-9XDAB`` (50 bits)."""
    mac = hmac.new(secret, token_id.bytes, hashlib.sha256).digest()
    text = base64.b32encode(mac).decode()[:10]
    return f"{text[:5]}-{text[5:]}"


def is_cancel_code(secret: bytes, token_id: UUID, presented: str) -> bool:
    """Case, spaces and dashes do not matter; the comparison takes constant time. Non-ASCII text is no code."""
    normalized = presented.upper().replace("-", "").replace(" ", "")
    if not normalized.isascii():  # hmac.compare_digest refuses non-ASCII strings
        return False
    return hmac.compare_digest(normalized, cancel_code(secret, token_id).replace("-", ""))
