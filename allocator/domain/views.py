"""Entities as the public views of ``shared.contracts.views``."""

from datetime import datetime

from allocator.domain.day import Day
from allocator.domain.model import Doctor, Slot, Token
from shared import seats
from shared.contracts.values import TimeRange, TokenStatus
from shared.contracts.views import DoctorView, SlotView, TokenView


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


def slot_view(day: Day, slot: Slot, now: datetime, release_reserve_at_start: bool) -> SlotView:
    occupied = day.occupancy(slot)
    return SlotView(
        id=slot.id,
        doctor_id=slot.doctor_id,
        date=slot.date,
        start_time=f"{slot.start_time:%H:%M}",
        end_time=f"{slot.end_time:%H:%M}",
        max_capacity=slot.capacity,
        reserved_emergency_slots=slot.reserved,
        current_count=occupied.regular + occupied.emergency,
        regular_count=occupied.regular,
        emergency_count=occupied.emergency,
        waitlist_count=len(day.in_slot(slot, TokenStatus.PENDING)),
        regular_seats_left=day.regular_seats_left(slot, now, release_reserve_at_start),
        emergency_seats_left=seats.emergency_seats_left(slot.capacity, occupied.regular, occupied.emergency),
        overflow_used=seats.overflow_used(slot.capacity, occupied.regular, occupied.emergency),
        status=slot.status,
    )
