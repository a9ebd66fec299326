"""Doctor registration and weekly schedule changes."""

from collections.abc import Iterable

from allocator.domain.answers import DoctorAnswer, Reseated
from allocator.domain.context import CommandContext
from allocator.domain.handlers.common import require_doctor
from allocator.domain.handlers.schedule import apply_templates
from allocator.domain.model import Doctor
from allocator.domain.outcome import Outcome
from allocator.domain.views import doctor_view
from allocator.domain.workspace import Workspace
from shared.contracts.commands import CreateDoctor, UpdateDoctorSlots
from shared.contracts.events import DoctorCreated, DoctorPayload, DoctorSlotsUpdated
from shared.contracts.values import Weekday
from shared.errors import ErrorCode, Rejection


def _weekdays(days: Iterable[str]) -> tuple[Weekday, ...]:
    """Distinct weekdays in the given order. Coerced because a payload's default is not validated (plain str)."""
    return tuple(dict.fromkeys(Weekday(day) for day in days))


def create_doctor(ws: Workspace, command: CreateDoctor, ctx: CommandContext) -> Outcome:
    payload = command.payload
    if payload.doctor_id in ws.doctors:
        raise Rejection(ErrorCode.DOCTOR_EXISTS, "a doctor with this id exists", doctorId=str(payload.doctor_id))
    assert ctx.doctor_code is not None, "the shell reserves a code for every CreateDoctor"
    doctor = Doctor(
        id=payload.doctor_id,
        code=ctx.doctor_code,
        name=payload.name.strip(),
        specialization=payload.specialization.strip(),
        room=payload.room,
        templates=payload.time_slots,
        working_days=_weekdays(payload.working_days),
    )
    ws.add_doctor(doctor)
    view = doctor_view(doctor)
    ws.emit(DoctorCreated, doctor.id, DoctorPayload(doctor=view))
    created: DoctorAnswer = {"doctor": view.model_dump(mode="json")}
    return Outcome(created)


def update_doctor_slots(ws: Workspace, command: UpdateDoctorSlots, ctx: CommandContext) -> Outcome:
    payload = command.payload
    doctor = require_doctor(ws, payload.doctor_id)
    proposed = Doctor(
        id=doctor.id,
        code=doctor.code,
        name=doctor.name,
        specialization=doctor.specialization,
        room=doctor.room,
        templates=payload.time_slots,
        working_days=_weekdays(payload.working_days) if payload.working_days else doctor.working_days,
        event_sequence=doctor.event_sequence,
    )
    doctor.templates = proposed.templates
    doctor.working_days = proposed.working_days
    ws.touch_doctor(doctor, templates_changed=True)
    view = doctor_view(doctor)
    ws.emit(DoctorSlotsUpdated, doctor.id, DoctorPayload(doctor=view))
    today = ws.today(ctx.now)
    rescheduled: dict[str, Reseated] = {}
    for (owner, date), day in sorted(ws.days.items(), key=lambda item: item[0][1]):
        if owner == doctor.id and date >= today and day.slots:
            outcome = apply_templates(ws, day, ctx.now)
            if outcome.changed:
                rescheduled[str(date)] = outcome.summary()
    updated: DoctorAnswer = {"doctor": view.model_dump(mode="json"), "rescheduled": rescheduled}
    return Outcome(updated)
