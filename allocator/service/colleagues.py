"""Colleagues of a doctor and their seats on a date, as colleague suggestions read them."""

import time
from collections.abc import Callable, Mapping
from datetime import date
from uuid import UUID

from allocator.domain.alternatives import SlotSeats, seats_of_day
from allocator.domain.day import Day
from allocator.domain.model import Doctor
from allocator.service.ports import StateStore

MOST_COLLEAGUES = 50
READ_FOR_SECONDS = 2.0


class ColleagueSeats:
    """Reads each specialization's doctors and their seats on a date from the store, then reuses them briefly.

    Days this shard holds are read from memory at every use instead: they are its own, up to date, and may have
    changed since within the batch. The store answers for the others (other shards', or days not loaded), at most
    ``max_age`` seconds old: a suggestion is advice (the colleague's own shard decides the booking), and a waiting
    room of patients each told "full" would otherwise cost several reads per batch of a hot slot.
    """

    def __init__(
        self,
        state: StateStore,
        held: Mapping[tuple[UUID, date], Day],
        max_age: float = READ_FOR_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.state = state
        self.held = held
        self.max_age = max_age
        self.monotonic = monotonic
        self._read: dict[tuple[str, date], tuple[float, list[Doctor], dict[UUID, list[SlotSeats]]]] = {}

    def forget(self) -> None:
        self._read.clear()

    async def of(self, doctor: Doctor, day: date) -> tuple[list[Doctor], dict[UUID, list[SlotSeats]]]:
        """The doctor's colleagues (same specialization, by name, at most 50) and their slots on ``day``."""
        key = (doctor.specialization.lower(), day)
        now = self.monotonic()
        read = self._read.get(key)
        if read is None or now - read[0] >= self.max_age:
            specialists = await self.state.specialists(doctor.specialization, MOST_COLLEAGUES + 1)
            absent = [d.id for d in specialists if (d.id, day) not in self.held]
            counted = await self.state.slot_seats(absent, day) if absent else {}
            self._read = {k: r for k, r in self._read.items() if now - r[0] < self.max_age}  # none kept for long
            read = self._read[key] = (now, specialists, counted)
        _, specialists, counted = read
        colleagues = [d for d in specialists if d.id != doctor.id][:MOST_COLLEAGUES]
        seats = dict(counted)
        for colleague in colleagues:
            held_day = self.held.get((colleague.id, day))
            if held_day is not None:
                seats[colleague.id] = seats_of_day(held_day)
        return colleagues, seats
