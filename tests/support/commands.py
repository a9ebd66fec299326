"""Building commands directly, as a kiosk or the gateway would publish them."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from shared.contracts.commands import BookToken, BookTokenPayload, CreateDoctor, CreateDoctorPayload

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
            time_slots=({"startTime": "09:00", "endTime": "10:00", "maxCapacity": capacity},),  # type: ignore[arg-type]
            working_days=WEEK,  # type: ignore[arg-type]
        ),
    )


def book_command(doctor_id: UUID, name: str = "Patient", command_id: UUID | None = None, **extra: Any) -> BookToken:
    return BookToken(
        command_id=command_id or uuid4(),
        issued_at=datetime.now(UTC),
        source="test",
        payload=BookTokenPayload(doctor_id=doctor_id, patient_name=name, patient_age=30, **extra),
    )
