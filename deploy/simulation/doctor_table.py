"""The per-doctor table of a played day: slots, tokens, seen, utilization, mean wait, peak queue."""

from deploy.simulation.record import DayRecord
from deploy.simulation.series import day_span, queue_length
from deploy.simulation.summary import summarize, wait_minutes

HEADER = ("doctor", "specialization", "slots", "tokens", "seen", "util.", "mean wait", "peak queue")


def doctor_rows(record: DayRecord) -> list[tuple[str, ...]]:
    """The header, then one row per doctor."""
    start, end = day_span(record)
    share = dict(summarize(record).utilization_by_doctor)
    found: list[tuple[str, ...]] = [HEADER]
    for doctor in record.doctors:
        mine = [t for t in record.tokens if t.doctor == doctor.key]
        waits = [w for w in map(wait_minutes, mine) if w is not None]
        peak = max((n for _, n in queue_length(mine, start, end)), default=0)
        found.append(
            (
                f"{doctor.code} {doctor.name}",
                doctor.specialization,
                f"{len(doctor.slots)} x {doctor.slots[0].capacity} (reserve {doctor.slots[0].reserved})",
                str(len(mine)),
                str(sum(1 for t in mine if t.status == "completed")),
                f"{share[doctor.code]:.0%}",
                f"{sum(waits) / len(waits):.0f} min" if waits else "-",
                f"{peak:.0f}",
            )
        )
    return found
