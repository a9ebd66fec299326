"""One doctor's dated day: its slots and tokens, with the seat arithmetic and orderings over them."""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from allocator.domain.model import Doctor, Slot, Token
from shared.contracts.values import SlotStatus, TokenSource, TokenStatus
from shared.seats import Ledger

SEATED = (TokenStatus.CONFIRMED, TokenStatus.COMPLETED)


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
    delay_minutes: int = 0
    delay_reason: str | None = None
    resume_at: datetime | None = None  # a late or paused doctor sees nobody before this
    _slots_by_id: dict[UUID, Slot] = field(default_factory=dict, repr=False)

    def slot(self, slot_id: UUID) -> Slot:
        """The day's slot with that id (slots are only ever added, so the index is rebuilt on a miss)."""
        found = self._slots_by_id.get(slot_id)
        if found is None:
            self._slots_by_id = {slot.id: slot for slot in self.slots}
            found = self._slots_by_id[slot_id]
        return found

    def in_slot(self, slot: Slot, status: TokenStatus) -> list[Token]:
        """Tokens of a slot with that status, in consultation order."""
        found = [token for token in self.tokens if token.slot_id == slot.id and token.status is status]
        found.sort(key=lambda token: token.order_key)
        return found

    def occupancy(self, slot: Slot) -> Occupancy:
        counts = self.confirmed_by_source(slot)
        emergency = counts.pop(TokenSource.EMERGENCY, 0)
        return Occupancy(regular=sum(counts.values()), emergency=emergency)

    def confirmed_by_source(self, slot: Slot) -> Counter[TokenSource]:
        """Seats taken, by source: confirmed tokens and those already seen (a consultation used its seat)."""
        return Counter(t.source for t in self.tokens if t.slot_id == slot.id and t.status in SEATED)

    def ledger(self, slot: Slot, now: datetime, release_at_start: bool) -> Ledger:
        """The slot's seat arithmetic at ``now`` (reserve and quota holds released once it has started)."""
        return Ledger.of(
            slot.capacity,
            slot.reserved,
            slot.quotas,
            now >= slot.starts_at,
            self.confirmed_by_source(slot),
            release_at_start,
        )

    def regular_seats_left(self, slot: Slot, now: datetime, release_at_start: bool) -> int:
        return self.ledger(slot, now, release_at_start).regular_seats_left

    def seat_for_newcomer(self, slot: Slot, source: TokenSource, now: datetime, release_at_start: bool) -> bool:
        """Whether a new token of that source gets a seat now, once the slot's waitlist has taken its seats."""
        waiting = ((token.source, 1) for token in self.in_slot(slot, TokenStatus.PENDING))
        return self.ledger(slot, now, release_at_start).admits_newcomer(source, waiting)

    def emergency_fits(self, slot: Slot) -> bool:
        occupied = self.occupancy(slot)
        return occupied.regular + occupied.emergency <= slot.capacity

    def open_slots(self, now: datetime) -> Iterator[Slot]:
        """Slots still bookable: not ended, not cancelled, in time order."""
        for slot in self.slots:
            if slot.status is not SlotStatus.CANCELLED and now < slot.ends_at:
                yield slot

    def serving(self) -> Token | None:
        """The patient in consultation now (called, not completed)."""
        return next((t for t in self.tokens if t.in_consultation), None)

    def waiting(self) -> list[Token]:
        """Confirmed patients not yet called, in the order the doctor sees them (slot, then queue order)."""
        order = []
        for slot in self.slots:
            if slot.status is not SlotStatus.CANCELLED:
                order += [t for t in self.in_slot(slot, TokenStatus.CONFIRMED) if t.called_at is None]
        return order

    def call_order(self, now: datetime) -> list[Token]:
        """Who the doctor sees next, in order: checked-in patients of slots that have started come first,
        then the others of those slots, then later slots (all in queue order)."""
        waiting = self.waiting()
        started = [t for t in waiting if self.slot(t.slot_id).starts_at <= now]
        pool = started or waiting
        arrived = [t for t in pool if t.checked_in_at is not None]
        return arrived + [t for t in pool if t.checked_in_at is None] + [t for t in waiting if t not in pool]

    def consult_minutes(self, slot: Slot) -> float:
        """Measured minutes per consultation when known, else the slot's length divided by its capacity."""
        return self.doctor.consult_minutes or slot.consult_minutes

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
