"""API keys, roles, cancel codes and token buckets, without a server."""

from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from deploy.cli import app
from gateway.auth import ANONYMOUS, DEVELOPER, Caller, InvalidKeyConfig, KeyRing, digest, parse_entries
from gateway.rate_limit import RateLimiter, retry_after
from shared.cancel_codes import cancel_code, is_cancel_code
from shared.contracts.caller import Role


def test_roles_include_the_ones_below() -> None:
    staff = Caller("desk", Role.STAFF)
    assert staff.has(Role.BOOKING) and staff.has(Role.STAFF) and not staff.has(Role.ADMIN)
    assert not ANONYMOUS.has(Role.BOOKING)


def test_keys_are_found_by_digest_and_unknown_keys_are_refused() -> None:
    ring = KeyRing(parse_entries(["# a comment", "", f"desk-1:staff:{digest('s3cret')}"]), development=False)
    assert ring.identify("s3cret") == Caller("desk-1", Role.STAFF)
    assert ring.identify("S3CRET") is None
    assert ring.identify(None) is ANONYMOUS
    assert KeyRing({}, development=True).identify(None) is DEVELOPER


@pytest.mark.parametrize("entry", ["desk:nurse:" + "a" * 64, "desk:staff:abc", "desk-staff", "desk:staff:" + "g" * 64])
def test_a_malformed_key_entry_is_refused_with_the_reason(entry: str) -> None:
    with pytest.raises(InvalidKeyConfig):
        parse_entries([entry])


@given(st.uuids(), st.binary(min_size=16, max_size=64))
def test_a_cancel_code_opens_its_own_token_only(token_id: object, secret: bytes) -> None:
    code = cancel_code(secret, token_id)  # type: ignore[arg-type]
    assert is_cancel_code(secret, token_id, code.lower().replace("-", " "))  # type: ignore[arg-type]
    assert not is_cancel_code(secret, uuid4(), code)
    assert not is_cancel_code(secret + b"x", token_id, code)  # type: ignore[arg-type]
    assert not is_cancel_code(secret, token_id, "\u0080 not ascii")  # type: ignore[arg-type]


def test_a_bucket_absorbs_a_burst_then_refills_at_its_rate() -> None:
    now = [0.0]
    limiter = RateLimiter(rate=2.0, burst=3, now=lambda: now[0])
    assert [limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.acquire("k") == pytest.approx(0.5)
    assert limiter.acquire("other") == 0.0  # buckets are per key
    now[0] = 0.5
    assert limiter.acquire("k") == 0.0
    assert retry_after(0.2) == "1" and retry_after(2.1) == "3"


def test_the_least_recent_keys_are_forgotten_beyond_the_bound() -> None:
    limiter = RateLimiter(rate=1.0, burst=1, max_keys=2, now=lambda: 0.0)
    for key in ("a", "b", "c"):
        assert limiter.acquire(key) == 0.0
    assert limiter.acquire("a") == 0.0  # forgotten, so a full bucket again
    assert limiter.acquire("c") > 0


def test_opd_api_key_mints_a_key_that_its_printed_entry_admits() -> None:
    printed = CliRunner().invoke(app, ["api-key", "--name", "desk-1", "--role", "staff"])
    assert printed.exit_code == 0, printed.output
    lines = dict(line.split(":", 1) for line in printed.output.splitlines())
    ring = KeyRing(parse_entries([lines["entry"].strip()]), development=False)
    assert ring.identify(lines["key"].strip()) == Caller("desk-1", Role.STAFF)
    assert CliRunner().invoke(app, ["api-key", "--name", "a:b", "--role", "staff"]).exit_code != 0


@given(st.binary(min_size=16, max_size=64))
def test_a_cancel_code_with_non_ascii_text_is_simply_wrong(secret: bytes) -> None:
    """The fuzzer's ``?code=%C2%80`` once broke the constant-time comparison (500 instead of 403)."""
    assert not is_cancel_code(secret, uuid4(), "\x80")
    assert not is_cancel_code(secret, uuid4(), "कोड-१२३")
