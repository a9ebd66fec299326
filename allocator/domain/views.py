"""Entities as the public views of ``shared.contracts.views``."""

from allocator.domain.day import Day
from allocator.domain.model import Doctor, Token
from shared.contracts.values import TimeRange, TokenStatus
from shared.contracts.views import DoctorView, TokenView


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
        time_slot=TimeRange(start_time=slot.start_time, end_time=slot.end_time),
        source=token.source,
        priority=token.priority,
        status=token.status,
        is_emergency=token.is_emergency,
        overflow=token.overflow,
        position=position if confirmed else None,
        waitlist_position=position if token.status is TokenStatus.PENDING else None,
        estimated_time=token.estimated_time if confirmed else None,
        created_at=token.created_at.astimezone(slot.starts_at.tzinfo),
    )
