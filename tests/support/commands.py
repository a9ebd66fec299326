"""Building commands directly, as a kiosk or the gateway would publish them."""

from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from shared.contracts.base import Contract
from shared.contracts.commands import (
    AddEmergency,
    AddEmergencyPayload,
    AnyCommand,
    BookToken,
    BookTokenPayload,
    CancelToken,
    CancelTokenPayload,
    CheckIn,
    Command,
    CreateDoctor,
    CreateDoctorPayload,
    TokenActionPayload,
)

C = TypeVar("C", bound=AnyCommand)
WEEK = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")


def create_doctor_command(doctor_id: UUID | None = None, capacity: int = 4) -> CreateDoctor:
    return CreateDoctor(
        command_id=uuid4(),
        issued_at=datetime.now(UTC),
        source="test",
        payload=CreateDoctorPayload(
            doctor_id=doctor_id or uuid4(),
            name="Dr. Queue",
            specialization="General Medicine",
            time_slots=({"startTime": "09:00", "endTime": "10:00", "maxCapacity": capacity},),
            working_days=WEEK,
        ),
    )


def book_command(doctor_id: UUID, name: str = "Patient", command_id: UUID | None = None, **extra: Any) -> BookToken:
    return BookToken(
        command_id=command_id or uuid4(),
        issued_at=datetime.now(UTC),
        source="test",
        payload=BookTokenPayload(doctor_id=doctor_id, patient_name=name, patient_age=30, **extra),
    )


def command(kind: type[C], payload: Contract, issued_at: datetime | None = None) -> C:
    """Any command with a fresh id, as a client would publish it (issued now unless told when)."""
    return kind(command_id=uuid4(), issued_at=issued_at or datetime.now(UTC), source="test", payload=payload)


def token_commands(doctor_id: UUID, token_id: str) -> dict[str, Command]:
    """A cancellation, a check-in and an emergency for the doctor (the first two about ``token_id``)."""
    return {
        "cancel": command(CancelToken, CancelTokenPayload(doctor_id=doctor_id, token_id=token_id)),
        "check-in": command(CheckIn, TokenActionPayload(doctor_id=doctor_id, token_id=token_id)),
        "emergency": command(AddEmergency, AddEmergencyPayload(doctor_id=doctor_id, patient_name="E", patient_age=60)),
    }
