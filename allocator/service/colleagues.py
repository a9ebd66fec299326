"""Colleagues of a doctor and their seats on a date, as colleague suggestions read them within one batch."""

from collections.abc import Mapping
from datetime import date
from uuid import UUID

from allocator.domain.alternatives import SlotSeats, seats_of_day
from allocator.domain.day import Day
from allocator.domain.model import Doctor
from allocator.service.ports import StateStore

MOST_COLLEAGUES = 50


class ColleagueSeats:
    """Reads each specialization's doctors and their seats on a date from the store once per batch.

    Days this shard holds are read from memory at every use instead: they are its own, up to date, and may have
    changed since within the batch. The store answers for the others (other shards', or days not loaded).
    """

    def __init__(self, state: StateStore, held: Mapping[tuple[UUID, date], Day]) -> None:
        self.state = state
        self.held = held
        self._read: dict[tuple[str, date], tuple[list[Doctor], dict[UUID, list[SlotSeats]]]] = {}

    async def of(self, doctor: Doctor, day: date) -> tuple[list[Doctor], dict[UUID, list[SlotSeats]]]:
        """The doctor's colleagues (same specialization, by name, at most 50) and their slots on ``day``."""
        key = (doctor.specialization.lower(), day)
        if key not in self._read:
            specialists = await self.state.specialists(doctor.specialization, MOST_COLLEAGUES + 1)
            absent = [d.id for d in specialists if (d.id, day) not in self.held]
            counted = await self.state.slot_seats(absent, day) if absent else {}
            self._read[key] = (specialists, counted)
        specialists, counted = self._read[key]
        colleagues = [d for d in specialists if d.id != doctor.id][:MOST_COLLEAGUES]
        seats = dict(counted)
        for colleague in colleagues:
            held_day = self.held.get((colleague.id, day))
            if held_day is not None:
                seats[colleague.id] = seats_of_day(held_day)
        return colleagues, seats
