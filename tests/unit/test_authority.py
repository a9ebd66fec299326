"""The role table: every command type declares a role, principals come from the broker, relays act for callers."""

from datetime import UTC, datetime
from uuid import uuid4

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from shared.authority import (
    LEAST_ROLE,
    Principal,
    Unauthorized,
    authorize,
    parse_broker_users,
    principal_of,
    required_role,
)
from shared.codec import COMMAND_BY_TYPE
from shared.contracts.caller import Caller, Role
from shared.contracts.commands import AnyCommand, BookTokenPayload
from tests.support.commands import book_command

USERS = parse_broker_users("gateway:gateway,allocator:system,kiosk:booking,desk:staff,watcher:none")


def test_every_command_type_declares_its_least_role() -> None:
    assert set(LEAST_ROLE) == set(COMMAND_BY_TYPE)


def test_a_command_type_without_a_declared_role_is_refused_to_everyone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(LEAST_ROLE, "BookToken")
    command = book_command(uuid4())
    assert required_role(command) is None
    with pytest.raises(Unauthorized, match=r"^BookToken declares no role: nobody may send it$"):
        authorize(Principal("amqp:allocator", Role.SYSTEM), command)


def test_an_emergency_through_booking_needs_staff() -> None:
    assert required_role(book_command(uuid4())) is Role.BOOKING
    assert required_role(book_command(uuid4(), source="emergency")) is Role.STAFF


def _relayed(role: Role) -> AnyCommand:
    return book_command(uuid4()).model_copy(update={"caller": Caller(name="app", role=role)})


def test_principals_come_from_the_broker_login_and_only_relays_name_a_caller() -> None:
    assert principal_of("kiosk", book_command(uuid4()), USERS) == Principal("amqp:kiosk", Role.BOOKING)
    assert principal_of("gateway", _relayed(Role.STAFF), USERS) == Principal("api:app", Role.STAFF)
    assert principal_of("allocator", _relayed(Role.BOOKING), USERS) == Principal("api:app", Role.BOOKING)
    for user, command, reason in [
        (None, book_command(uuid4()), "no user_id"),
        ("stranger", book_command(uuid4()), "has no role"),
        ("watcher", book_command(uuid4()), "must name the caller"),
        ("gateway", book_command(uuid4()), "must name the caller"),
        ("kiosk", _relayed(Role.ADMIN), "may not act on behalf"),
        ("gateway", _relayed(Role.SYSTEM), "cannot have the system role"),
    ]:
        with pytest.raises(Unauthorized, match=reason):
            principal_of(user, command, USERS)


@given(st.sampled_from(sorted(COMMAND_BY_TYPE)), st.sampled_from(list(Role)))
def test_a_principal_is_authorized_exactly_when_its_role_reaches_the_least_role(kind: str, role: Role) -> None:
    # model_construct skips validation on purpose: authorize reads only the type, so no source or payload is given
    command = COMMAND_BY_TYPE[kind].model_construct(  # type: ignore[call-arg]
        type=kind, command_id=uuid4(), issued_at=datetime.now(UTC)
    )
    allowed = role.includes(LEAST_ROLE[kind])
    try:
        authorize(Principal("x", role), command)
    except Unauthorized:
        assert not allowed
    else:
        assert allowed


def test_an_unreadable_broker_user_table_is_refused() -> None:
    with pytest.raises(ValueError, match="not one of"):
        parse_broker_users("kiosk:superuser")
    with pytest.raises(ValueError, match="expected user:role"):
        parse_broker_users("kiosk")


@pytest.mark.parametrize(
    ("field", "value"),
    [("patientAge", True), ("patientAge", False), ("waitlist", "no"), ("waitlist", 0), ("patientAge", "thirty")],
)
def test_no_boolean_is_read_as_a_number_nor_text_as_a_boolean(field: str, value: object) -> None:
    body = {"doctorId": str(uuid4()), "patientName": "A", "patientAge": 30, field: value}
    with pytest.raises(ValidationError):
        BookTokenPayload.model_validate(body)


def test_an_age_as_numeric_text_from_a_form_stays_accepted() -> None:
    body = {"doctorId": str(uuid4()), "patientName": "A", "patientAge": "34"}
    assert BookTokenPayload.model_validate(body).patient_age == 34


def test_a_refusal_says_what_the_command_needs_and_what_the_sender_has() -> None:
    """The reason is what a kiosk developer reads in the dead-letter header."""
    with pytest.raises(Unauthorized) as refused:
        authorize(Principal("amqp:kiosk", Role.BOOKING), book_command(uuid4(), source="emergency"))
    assert str(refused.value) == "BookToken needs the staff role; amqp:kiosk has booking"
