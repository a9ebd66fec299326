"""Status links: one token and its visit day, unguessable, valid until the day ends, nothing stored (pure)."""

import base64
from datetime import date, timedelta
from uuid import uuid4

from shared.cancel_codes import cancel_code
from shared.status_links import PATH_PREFIX, LinkTarget, StatusLinks, read_status_code, status_code

SECRET = b"a-secret-of-sixteen-or-more"
DAY = date(2026, 12, 1)


def test_a_code_names_its_token_and_day_until_the_day_ends() -> None:
    token = uuid4()
    code = status_code(SECRET, token, DAY)
    assert read_status_code(SECRET, code, DAY - timedelta(days=3)) == LinkTarget(token, DAY)
    assert read_status_code(SECRET, code, DAY) == LinkTarget(token, DAY)
    assert read_status_code(SECRET, code, DAY + timedelta(days=1)) is None


def test_a_code_is_url_safe_short_and_carries_at_least_80_secret_bits() -> None:
    code = status_code(SECRET, uuid4(), DAY)
    assert len(code) == 42 and code.replace("-", "").replace("_", "").isalnum()
    assert (len(code) * 6 - (16 + 3) * 8) >= 80  # what is not the (public) token id and day is MAC


def test_forged_altered_or_foreign_codes_name_nothing() -> None:
    token = uuid4()
    code = status_code(SECRET, token, DAY)
    flipped = code[:-2] + ("A" if code[-2] != "A" else "B") + code[-1]
    assert read_status_code(SECRET, flipped, DAY) is None
    assert read_status_code(b"another-secret-of-sixteen", code, DAY) is None
    raw = base64.urlsafe_b64decode(code + "==")
    later = raw[:16] + (DAY + timedelta(days=1)).toordinal().to_bytes(3, "big") + raw[19:]
    assert read_status_code(SECRET, base64.urlsafe_b64encode(later).decode(), DAY) is None  # a day the MAC is not of
    for junk in ("", "abc", "!" * 42, "A" * 500, cancel_code(SECRET, token)):
        assert read_status_code(SECRET, junk, DAY) is None


def test_the_link_is_absolute_under_the_hospitals_address_else_a_path() -> None:
    token = uuid4()
    code = status_code(SECRET, token, DAY)
    assert StatusLinks(SECRET, "https://opd.example.org/").url(token, DAY) == f"https://opd.example.org/t/{code}"
    assert StatusLinks(SECRET).url(token, DAY) == f"{PATH_PREFIX}{code}"
