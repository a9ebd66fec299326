"""The wire contract: every command round-trips through the codec; bad messages are refused with reasons."""

import json
from datetime import UTC, date, datetime, time
from typing import Any
from uuid import UUID, uuid4

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.codec import DecodeError, decode_command, decode_reply, encode, loads
from shared.contracts.commands import (
    COMMAND_TYPES,
    AddEmergencyPayload,
    BookTokenPayload,
    CallNextPayload,
    CancelTokenPayload,
    CreateDoctorPayload,
    DelayDoctorPayload,
    MarkDoctorUnavailablePayload,
    MarkNoShowPayload,
    ReallocatePayload,
    RecallTokenPayload,
    TickPayload,
    TokenActionPayload,
    UpdateDoctorSlotsPayload,
)
from shared.contracts.replies import ErrorInfo, Reply
from shared.contracts.values import SlotTemplate, TimeRange
from shared.routing import shard_for

DOCTOR = uuid4()
SLOTS = ({"startTime": "09:00", "endTime": "10:00", "maxCapacity": 5},)
PAYLOADS = {
    "CreateDoctor": CreateDoctorPayload(doctor_id=DOCTOR, name="Dr", specialization="ENT", time_slots=SLOTS),
    "UpdateDoctorSlots": UpdateDoctorSlotsPayload(doctor_id=DOCTOR, time_slots=SLOTS),
    "BookToken": BookTokenPayload(doctor_id=DOCTOR, patient_name="A", patient_age=3, time_slot="09:00-10:00"),
    "AddEmergency": AddEmergencyPayload(doctor_id=DOCTOR, patient_name="B", patient_age=70),
    "CancelToken": CancelTokenPayload(doctor_id=DOCTOR, token_id="D1-20261201-T001"),
    "MarkNoShow": MarkNoShowPayload(doctor_id=DOCTOR, token_id=str(uuid4())),
    "Reallocate": ReallocatePayload(doctor_id=DOCTOR),
    "CheckIn": TokenActionPayload(doctor_id=DOCTOR, token_id="D1-20261201-T002"),
    "CallNext": CallNextPayload(doctor_id=DOCTOR),
    "CompleteToken": TokenActionPayload(doctor_id=DOCTOR, token_id=str(uuid4())),
    "RecallToken": RecallTokenPayload(doctor_id=DOCTOR, token_id="D1-20261201-T003"),
    "Tick": TickPayload(shard=1),
    "DelayDoctor": DelayDoctorPayload(doctor_id=DOCTOR, minutes=20, reason="surgery ran over"),
    "MarkDoctorUnavailable": MarkDoctorUnavailablePayload(
        doctor_id=DOCTOR, date=date(2026, 12, 1), start_time=time(9), end_time=time(11), reason="surgery"
    ),
}


@pytest.mark.parametrize("command_type", COMMAND_TYPES, ids=lambda t: t.__name__)
def test_every_command_round_trips_through_the_codec(command_type: type) -> None:
    command = command_type(
        command_id=uuid4(), issued_at=datetime.now(UTC), source="kiosk-3", payload=PAYLOADS[command_type.__name__]
    )
    assert decode_command(encode(command)) == command
    assert command.shard(4) == (1 if command_type.__name__ == "Tick" else shard_for(DOCTOR, 4))


def test_time_slot_accepts_text_or_object_and_rejects_nonsense() -> None:
    assert TimeRange.model_validate("9:00 - 10:30") == TimeRange(start_time=time(9), end_time=time(10, 30))
    assert TimeRange.model_validate({"startTime": "09:00", "endTime": "10:30"}).label() == "09:00-10:30"
    for bad in ("10:00-09:00", "morning", {"startTime": "09:00"}):
        with pytest.raises(ValueError):
            TimeRange.model_validate(bad)
    with pytest.raises(ValueError, match="reservedEmergencySlots"):
        SlotTemplate.model_validate(
            {"startTime": "09:00", "endTime": "10:00", "maxCapacity": 2, "reservedEmergencySlots": 2}
        )


@pytest.mark.parametrize(
    ("body", "code", "reason"),
    [
        (b"{oops", "INVALID_COMMAND", "malformed JSON"),
        (b"[1, 2]", "INVALID_COMMAND", "JSON object"),
        (b'{"type": "Teleport", "commandId": "x"}', "UNKNOWN_COMMAND_TYPE", "'Teleport'"),
        (b'{"type": "Reallocate", "commandId": "%s", "issuedAt": "2026-12-01T08:00:00Z", "source": "k",'
         b' "schemaVersion": 2, "payload": {"doctorId": "%s"}}' % (str(uuid4()).encode(), str(DOCTOR).encode()),
         "UNSUPPORTED_SCHEMA_VERSION", "schemaVersion 2"),
        (b'{"type": "Reallocate", "commandId": "%s", "source": "k", "payload": {}}' % str(uuid4()).encode(),
         "INVALID_COMMAND", "invalid Reallocate command"),
    ],
)  # fmt: skip
def test_undecodable_commands_are_refused_with_the_reason(body: bytes, code: str, reason: str) -> None:
    with pytest.raises(DecodeError) as refused:
        decode_command(body)
    assert refused.value.code == code
    assert reason in str(refused.value)


TEXT = st.text(st.sampled_from(["\x00", "\\", "u", "0", "a", "\u00e9", '"']), max_size=8)
JSON_VALUES = st.recursive(
    st.none() | st.integers(-(2**63), 2**63 - 1) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


def _holds_nul(value: Any) -> bool:
    """The oracle, written apart from the codec's own walk on purpose: the test checks the codec against it."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    return isinstance(value, list) and any(_holds_nul(item) for item in value)


@given(JSON_VALUES, st.booleans())
def test_text_with_a_nul_is_refused_wherever_it_is_and_nothing_else(value: Any, as_text: bool) -> None:
    """The quick look for the escape must agree with walking the value: a backslash before "u0000" is no NUL."""
    body: bytes | str = json.dumps(value) if as_text else orjson.dumps(value)
    if _holds_nul(value):
        with pytest.raises(DecodeError, match="NUL"):
            loads(body)
    else:
        assert loads(body) == value
    assert loads(body, refuse_nul=False) == value


def test_a_buffer_other_than_bytes_or_text_is_walked_for_nul_characters() -> None:
    """Outside the annotation (a caller handing over a buffer): still decoded, and a NUL still refused."""
    assert loads(bytearray(b'{"a": "b"}')) == {"a": "b"}  # type: ignore[arg-type]
    with pytest.raises(DecodeError, match="NUL"):
        loads(bytearray(b'{"a": "\\u0000"}'))  # type: ignore[arg-type]
    with pytest.raises(DecodeError, match="NUL"):
        loads(memoryview(b'{"a": "\\u0000"}'))  # type: ignore[arg-type]


def test_field_errors_name_the_missing_fields() -> None:
    body = b'{"type": "Reallocate", "commandId": "%s", "source": "k", "payload": {}}' % str(uuid4()).encode()
    with pytest.raises(DecodeError) as refused:
        decode_command(body)
    assert {error["field"] for error in refused.value.errors} == {"issuedAt", "payload.doctorId"}


def test_a_reply_carries_a_result_or_an_error_never_both() -> None:
    ok = Reply(command_id=uuid4(), ok=True, result={"token": {}})
    assert decode_reply(encode(ok)) == ok
    with pytest.raises(ValueError):
        Reply(command_id=uuid4(), ok=True, error=ErrorInfo(code="X", message="y"))
    with pytest.raises(ValueError):
        Reply(command_id=uuid4(), ok=False)


def test_shard_routing_is_crc32_of_the_canonical_id() -> None:
    doctor = "3e5e0600-3095-47fa-8f06-e24c4d184dc9"
    assert shard_for(UUID(doctor), 4) == 0xDC0E12BC % 4  # zlib.crc32(b"3e5e0600-3095-...") == 0xDC0E12BC
    assert {shard_for(uuid4(), 4) for _ in range(200)} == {0, 1, 2, 3}
