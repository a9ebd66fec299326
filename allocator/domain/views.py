"""Entities as the public views of ``shared.contracts.views``."""

from datetime import datetime, time
from functools import lru_cache

from allocator.domain.day import Day
from allocator.domain.model import Doctor, Token
from shared.contracts.values import TimeRange, TokenStatus
from shared.contracts.views import DoctorBrief, DoctorView, TokenView


def doctor_view(doctor: Doctor) -> DoctorView:
    return DoctorView(
        id=doctor.id,
        code=doctor.code,
        name=doctor.name,
        specialization=doctor.specialization,
        room=doctor.room,
        time_slots=doctor.templates,
        working_days=doctor.working_days,
    )


def doctor_brief(doctor: Doctor) -> DoctorBrief:
    return DoctorBrief(
        id=doctor.id, code=doctor.code, name=doctor.name, specialization=doctor.specialization, room=doctor.room
    )


def _local(instant: datetime | None, reference: datetime) -> datetime | None:
    """An instant in the hospital's time zone (the zone the slot times carry)."""
    return instant.astimezone(reference.tzinfo) if instant else None


@lru_cache(maxsize=1024)  # slot times are few
def _time_range(start: time, end: time) -> TimeRange:
    return TimeRange(start_time=start, end_time=end)


def token_view(day: Day, token: Token) -> TokenView:
    slot = day.slot(token.slot_id)
    position = day.position(token)
    confirmed = token.status is TokenStatus.CONFIRMED
    return TokenView(
        id=token.id,
        token_number=token.token_number,
        short_number=token.short_number,
        patient_name=token.patient.name,
        patient_age=token.patient.age,
        patient_id=token.patient.patient_id,
        phone=token.patient.phone,
        email=token.patient.email,
        language=token.patient.language,
        doctor_id=token.doctor_id,
        slot_id=token.slot_id,
        date=token.date,
        time_slot=_time_range(slot.start_time, slot.end_time),
        source=token.source,
        priority=token.priority,
        status=token.status,
        is_emergency=token.is_emergency,
        overflow=token.overflow,
        position=position if confirmed else None,
        waitlist_position=position if token.status is TokenStatus.PENDING else None,
        estimated_time=token.estimated_time if confirmed else None,
        checked_in_at=_local(token.checked_in_at, slot.starts_at),
        called_at=_local(token.called_at, slot.starts_at),
        completed_at=_local(token.completed_at, slot.starts_at),
        recalls=token.recalls,
        created_at=token.created_at.astimezone(slot.starts_at.tzinfo),
        updated_at=token.updated_at.astimezone(slot.starts_at.tzinfo),
    )
