"""Workload shapes: how many doctors share the load, and their day.

``spread``: many doctors, a realistic OPD day each (two slots of 30), so the load spreads over every shard and
waitlists form (cancellations then promote). ``hot``: one doctor with a very large day (twelve hourly slots of 500,
the most a slot may have), so every request goes to one shard and one day: the contention case.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

EVERY_DAY = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class ShapeName(StrEnum):
    SPREAD = "spread"
    HOT = "hot"


@dataclass(frozen=True, slots=True)
class SlotSpec:
    start: str
    end: str
    capacity: int
    reserved: int


@dataclass(frozen=True, slots=True)
class Shape:
    name: ShapeName
    doctors: int
    slots: tuple[SlotSpec, ...]
    specializations: int = 8  # doctors share them: a waitlisted booking is offered colleagues (their days are read)

    def doctor_body(self, n: int) -> dict[str, Any]:
        """The REST body (camelCase, as the AMQP payload too) of the shape's ``n``-th doctor."""
        return {
            "name": f"Dr. Bench {n:03d}",
            "specialization": f"Bench {self.name.value} {n % self.specializations}",
            "timeSlots": [
                {
                    "startTime": s.start,
                    "endTime": s.end,
                    "maxCapacity": s.capacity,
                    "reservedEmergencySlots": s.reserved,
                }
                for s in self.slots
            ],
            "workingDays": EVERY_DAY,
        }


SHAPES = {
    ShapeName.SPREAD: Shape(
        ShapeName.SPREAD, doctors=100, slots=(SlotSpec("09:00", "13:00", 30, 2), SlotSpec("14:00", "18:00", 30, 2))
    ),
    ShapeName.HOT: Shape(
        ShapeName.HOT, doctors=1, slots=tuple(SlotSpec(f"{h:02d}:00", f"{h + 1:02d}:00", 500, 5) for h in range(8, 20))
    ),
}
