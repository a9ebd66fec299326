"""One doctor's dated day: its slots and tokens, with the seat arithmetic and orderings over them."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from allocator.domain.model import Doctor, Slot, Token
from shared import seats
from shared.contracts.values import SlotStatus, TokenStatus


@dataclass(slots=True)
class Occupancy:
    regular: int
    emergency: int


@dataclass(slots=True)
class Day:
    doctor: Doctor
    date: date
    slots: list[Slot]
    tokens: list[Token] = field(default_factory=list)

    def slot(self, slot_id: UUID) -> Slot:
        return next(slot for slot in self.slots if slot.id == slot_id)

    def in_slot(self, slot: Slot, status: TokenStatus) -> list[Token]:
        """Tokens of a slot with that status, in consultation order."""
        found = [token for token in self.tokens if token.slot_id == slot.id and token.status is status]
        found.sort(key=lambda token: token.order_key)
        return found

    def occupancy(self, slot: Slot) -> Occupancy:
        occupied = Occupancy(0, 0)
        for token in self.tokens:
            if token.slot_id == slot.id and token.status is TokenStatus.CONFIRMED:
                if token.is_emergency:
                    occupied.emergency += 1
                else:
                    occupied.regular += 1
        return occupied

    def regular_seats_left(self, slot: Slot, now: datetime, release_reserve_at_start: bool) -> int:
        occupied = self.occupancy(slot)
        reserve = seats.effective_reserve(slot.reserved, now >= slot.starts_at, release_reserve_at_start)
        return seats.regular_seats_left(slot.capacity, reserve, occupied.regular, occupied.emergency)

    def has_seat_for_newcomer(self, slot: Slot, priority: int, now: datetime, release_reserve_at_start: bool) -> bool:
        """Whether a new regular token of that priority gets a seat now.

        Waiting patients of no worse priority arrived earlier, so they are seated first: seats freed since the
        waitlist was last promoted (the reserve released at slot start) must not go to the newcomer instead.
        """
        ahead = sum(1 for token in self.in_slot(slot, TokenStatus.PENDING) if token.priority <= priority)
        return self.regular_seats_left(slot, now, release_reserve_at_start) > ahead

    def emergency_fits(self, slot: Slot) -> bool:
        occupied = self.occupancy(slot)
        return seats.emergency_fits(slot.capacity, occupied.regular, occupied.emergency)

    def open_slots(self, now: datetime) -> Iterator[Slot]:
        """Slots still bookable: not ended, not cancelled, in time order."""
        for slot in self.slots:
            if slot.status is not SlotStatus.CANCELLED and now < slot.ends_at:
                yield slot

    def active_token_of(self, key: str) -> Token | None:
        return next((t for t in self.tokens if t.patient_key == key and t.status.is_active), None)

    def next_arrival(self) -> int:
        return max((token.arrival for token in self.tokens), default=0) + 1

    def next_ordinal(self, is_emergency: bool) -> int:
        return sum(1 for token in self.tokens if token.is_emergency == is_emergency) + 1

    def position(self, token: Token) -> int | None:
        """1-based place in the slot's consultation order (confirmed) or waitlist (pending)."""
        if not token.status.is_active:
            return None
        peers = self.in_slot(self.slot(token.slot_id), token.status)
        return next(index for index, peer in enumerate(peers, start=1) if peer.id == token.id)
