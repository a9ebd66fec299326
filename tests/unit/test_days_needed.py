"""Which of a doctor's days each command needs loaded, from its payload (the registry's rule per command type)."""

from datetime import date
from uuid import uuid4

from allocator.domain.days_needed import BookedFrom, OfToken, OnDates
from allocator.domain.handlers import days_needed
from shared.contracts.commands import (
    CancelToken,
    CancelTokenPayload,
    MarkDoctorUnavailable,
    MarkDoctorUnavailablePayload,
    UpdateDoctorSlots,
    UpdateDoctorSlotsPayload,
)
from tests.support.commands import book_command, command, create_doctor_command

TODAY = date(2026, 12, 3)
LATER = date(2026, 12, 10)


def test_a_booking_needs_the_day_it_asks_for_else_today() -> None:
    doctor = create_doctor_command()
    doctor_id = doctor.payload.doctor_id
    assert days_needed(book_command(doctor_id), TODAY) == OnDates((TODAY,))
    assert days_needed(book_command(doctor_id, date=LATER), TODAY) == OnDates((LATER,))


def test_a_new_doctor_needs_no_day_and_new_weekly_slots_need_every_day_booked_from_today() -> None:
    doctor = create_doctor_command()
    assert days_needed(doctor, TODAY) == OnDates()
    slots = UpdateDoctorSlotsPayload(doctor_id=doctor.payload.doctor_id, time_slots=doctor.payload.time_slots)
    assert days_needed(command(UpdateDoctorSlots, slots), TODAY) == BookedFrom(TODAY)


def test_a_day_off_needs_its_own_date_and_a_token_command_the_day_of_its_token() -> None:
    doctor_id = uuid4()
    away = command(MarkDoctorUnavailable, MarkDoctorUnavailablePayload(doctor_id=doctor_id, date=LATER))
    assert days_needed(away, TODAY) == OnDates((LATER,))
    cancel = command(CancelToken, CancelTokenPayload(doctor_id=doctor_id, token_id="D1-T007"))
    assert days_needed(cancel, TODAY) == OfToken("D1-T007")
