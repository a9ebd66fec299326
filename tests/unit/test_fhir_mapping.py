"""The FHIR mapping's pure parts: Slot ids, statuses, OperationOutcomes, the bookings read from an Appointment."""

from datetime import date, datetime, time
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from gateway.fhir import mapping, terms
from gateway.fhir.inbound import AppointmentIn, PatchOperation, booking, cancellation
from gateway.fhir.outcomes import operation_outcome
from gateway.requests import BadRequest
from shared.contracts.values import SlotStatus
from shared.contracts.views import SlotView
from tests.support.fhir import valid

ZONE = ZoneInfo("Asia/Kolkata")


def test_a_slot_id_names_doctor_date_and_times_and_nothing_else_parses() -> None:
    doctor = uuid4()
    text = mapping.slot_id(doctor, date(2026, 12, 1), "09:00", "09:45")
    assert mapping.parse_slot_id(text) == (doctor, date(2026, 12, 1), time(9), time(9, 45))
    for wrong in ("", "x", f"{doctor}-20261301-0900-0945", f"{doctor}-20261201-2500-0945", str(doctor)):
        assert mapping.parse_slot_id(wrong) is None, wrong


def _slot(status: SlotStatus, left: int) -> SlotView:
    return SlotView(
        id=uuid4(),
        doctor_id=uuid4(),
        date=date(2026, 12, 1),
        start_time="09:00",
        end_time="10:00",
        max_capacity=4,
        reserved_emergency_slots=1,
        current_count=3 - left,
        regular_count=3 - left,
        emergency_count=0,
        waitlist_count=0,
        regular_seats_left=left,
        emergency_seats_left=1,
        overflow_used=False,
        status=status,
    )


@pytest.mark.parametrize(
    ("status", "left", "now", "expected"),
    [
        (SlotStatus.AVAILABLE, 2, datetime(2026, 12, 1, 8, tzinfo=ZONE), "free"),
        (SlotStatus.AVAILABLE, 0, datetime(2026, 12, 1, 8, tzinfo=ZONE), "busy"),  # only the emergency seat left
        (SlotStatus.FULL, 0, datetime(2026, 12, 1, 9, 30, tzinfo=ZONE), "busy"),
        (SlotStatus.CANCELLED, 3, datetime(2026, 12, 1, 8, tzinfo=ZONE), "busy-unavailable"),
        (SlotStatus.AVAILABLE, 2, datetime(2026, 12, 1, 10, tzinfo=ZONE), "busy-unavailable"),  # over
    ],
)
def test_slot_status(status: SlotStatus, left: int, now: datetime, expected: str) -> None:
    assert mapping.slot_status(_slot(status, left), now, ZONE) == expected


def test_an_outcome_carries_the_code_the_message_and_each_field() -> None:
    outcome = operation_outcome(
        400, "INVALID_REQUEST", "request validation failed", {"errors": [{"field": "patientAge", "message": "no"}]}
    )
    valid(outcome)
    assert outcome["issue"][0]["details"]["coding"] == [{"system": terms.ERROR_CODE, "code": "INVALID_REQUEST"}]
    assert outcome["issue"][1]["expression"] == ["patientAge"]
    assert operation_outcome(503, "BROKER_UNAVAILABLE", "down", {})["issue"][0]["severity"] == "fatal"


def _resource(**more: Any) -> AppointmentIn:
    patient = {"actor": {"type": "Patient", "display": "Asha"}}
    return AppointmentIn.model_validate(
        {"resourceType": "Appointment", "status": "booked", "participant": [patient], **more}
    )


def test_a_booking_takes_the_doctor_from_the_slot_and_refuses_a_slot_of_another() -> None:
    doctor, other = uuid4(), uuid4()
    slot = {"reference": f"Slot/{mapping.slot_id(doctor, date(2026, 12, 2), '10:00', '11:00')}"}
    payload = booking(_resource(slot=[slot]))
    assert payload == {
        "patientName": "Asha",
        "source": "walkin",
        "date": "2026-12-02",
        "timeSlot": {"startTime": "10:00", "endTime": "11:00"},
        "doctorId": str(doctor),
    }
    practitioner = {"actor": {"reference": f"Practitioner/{other}"}}
    mismatch = _resource(slot=[slot], participant=[{"actor": {"type": "Patient", "display": "A"}}, practitioner])
    with pytest.raises(BadRequest, match="another practitioner"):
        booking(mismatch)
    with pytest.raises(BadRequest, match="practitioner"):
        booking(_resource())


def test_only_a_patch_to_cancelled_is_a_cancellation() -> None:
    def ops(*given: dict[str, Any]) -> list[PatchOperation]:
        return [PatchOperation.model_validate(op) for op in given]

    cancel = {"op": "replace", "path": "/status", "value": "cancelled"}
    assert cancellation(ops(cancel)) is None
    assert cancellation(ops(cancel, {"op": "add", "path": "/cancelationReason", "value": {"text": "ok"}})) == "ok"
    for wrong in (ops(), ops({**cancel, "value": "booked"}), ops(cancel, {"op": "remove", "path": "/slot"})):
        with pytest.raises(BadRequest):
            cancellation(wrong)
