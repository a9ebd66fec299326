"""One doctor's dated day: its slots and tokens, with the seat arithmetic and orderings over them."""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from allocator.domain.index import SEATED, TokenIndex
from allocator.domain.model import Doctor, Slot, Token
from allocator.domain.walk import Call, Walk
from shared.contracts.values import SlotStatus, TokenSource, TokenStatus
from shared.seats import Ledger

__all__ = ["SEATED", "Call", "Day", "Occupancy"]


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
    _index: TokenIndex | None = field(default=None, init=False, repr=False, compare=False)
    _seat_answers: dict[Slot, tuple[tuple[object, ...], bool]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )
    eta_walk: Walk | None = field(default=None, init=False, repr=False, compare=False)  # the last ETA walk

    def slot(self, slot_id: UUID) -> Slot:
        """The day's slot with that id (slots are only ever added, so the index is rebuilt on a miss)."""
        found = self._slots_by_id.get(slot_id)
        if found is None:
            self._slots_by_id = {slot.id: slot for slot in self.slots}
            found = self._slots_by_id[slot_id]
        return found

    @property
    def filed(self) -> TokenIndex:
        """The tokens filed for lookups; built on first use, and again if tokens were appended to the list directly.

        Tokens change slot, status, queue rank or call only through the methods below, which keep it in step.
        """
        index = self._index
        if index is None or len(index.order) != len(self.tokens):
            index = self._index = TokenIndex.of(self.tokens)
        return index

    def add(self, token: Token) -> None:
        index = self.filed
        self.tokens.append(token)
        index.add(token)

    def set_status(self, token: Token, status: TokenStatus) -> None:
        self.move(token, token.slot_id, status)

    def move(self, token: Token, slot_id: UUID, status: TokenStatus | None = None) -> None:
        """Put the token in another slot (and status)."""
        index = self.filed
        index.unfile(token)
        token.slot_id = slot_id
        if status is not None:
            token.status = status
        index.file(token)

    def requeue(self, token: Token, queue_rank: tuple[int, float] | None) -> None:
        """Give the token another place in its slot's queue."""
        index = self.filed
        index.unfile(token)
        token.queue_rank = queue_rank
        index.file(token)

    def call(self, token: Token, now: datetime) -> None:
        """The doctor calls the token in."""
        token.called_at = now
        self.filed.called_now(token)

    def in_slot(self, slot: Slot, status: TokenStatus) -> list[Token]:
        """Tokens of a slot with that status, in consultation order."""
        return list(self.filed.queue(slot.id, status))

    def waiting_by_source(self, slot: Slot) -> Counter[TokenSource]:
        """The slot's waitlist counted by source (the index's own count, kept in step: do not change it)."""
        return self.filed.waiting.get(slot.id, Counter())

    def occupancy(self, slot: Slot) -> Occupancy:
        counts = self.confirmed_by_source(slot)
        emergency = counts.pop(TokenSource.EMERGENCY, 0)
        return Occupancy(regular=sum(counts.values()), emergency=emergency)

    def confirmed_by_source(self, slot: Slot) -> Counter[TokenSource]:
        """Seats taken, by source: confirmed tokens and those already seen (a consultation used its seat)."""
        return Counter(self.filed.seated.get(slot.id, ()))

    def ledger(self, slot: Slot, now: datetime, release_at_start: bool) -> Ledger:
        """The slot's seat arithmetic at ``now`` (reserve and quota holds released once it has started)."""
        return Ledger.of(
            slot.capacity,
            slot.reserved,
            slot.quotas,
            now >= slot.starts_at,
            self.filed.seated.get(slot.id, {}),
            release_at_start,
        )

    def any_regular_seat(self, slot: Slot, now: datetime, release_at_start: bool) -> bool:
        """Whether a regular patient could still get a seat: the ledger's answer, kept until what it reads changes."""
        seated = tuple(self.filed.seated.get(slot.id, {}).items())
        quotas = tuple(slot.quotas.items())
        key = (seated, quotas, now >= slot.starts_at, release_at_start, slot.capacity, slot.reserved)
        known = self._seat_answers.get(slot)
        if known is None or known[0] != key:
            known = self._seat_answers[slot] = key, self.ledger(slot, now, release_at_start).any_regular_seat
        return known[1]

    def regular_seats_left(self, slot: Slot, now: datetime, release_at_start: bool) -> int:
        return self.ledger(slot, now, release_at_start).regular_seats_left

    def seat_for_newcomer(self, slot: Slot, source: TokenSource, now: datetime, release_at_start: bool) -> bool:
        """Whether a new token of that source gets a seat now, once the slot's waitlist has taken its seats."""
        return self.newcomer_seated_on(slot, source, self.ledger(slot, now, release_at_start))

    def newcomer_seated_on(self, slot: Slot, source: TokenSource, ledger: Ledger) -> bool:
        """``seat_for_newcomer`` on the slot's ledger, which it changes: the waitlist's seats are taken on it."""
        if not ledger.waitlist_goes_first(source, self.waiting_by_source(slot)):
            # The usual case: each command promotes whoever fits as it settles, so nobody waiting fits now.
            return ledger.fits(source)
        waiting = ((token.source, 1) for token in self.filed.queue(slot.id, TokenStatus.PENDING))
        return ledger.admits_newcomer(source, waiting)

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
        return self.filed.serving()

    def waiting(self) -> list[Token]:
        """Confirmed patients not yet called, in the order the doctor sees them (slot, then queue order)."""
        order: list[Token] = []
        for slot in self.slots:
            if slot.status is not SlotStatus.CANCELLED:
                order += [token for token, _ in self._uncalled(slot)]
        return order

    def call_order(self, now: datetime) -> list[Token]:
        """Who the doctor sees next, in order: checked-in patients of slots that have started come first,
        then the others of those slots, then later slots (all in queue order)."""
        return [token for token, _ in self.calls(now)]

    def calls(self, now: datetime) -> list[Call]:
        """The call order, each token with its slot."""
        started, later = self._uncalled_by_start(now)
        pool, rest = (started, later) if started else (later, [])
        return _here_first(pool) + rest

    def expected_calls(self, now: datetime) -> list[Call]:
        """The order the doctor is expected to call in, which the ETAs follow: as ``calls``, except before the
        first slot starts, when the patients already here do not go first. Once it starts the doctor calls its
        patients who are here, in queue order, and most of the others will be here by then."""
        started, later = self._uncalled_by_start(now)
        return _here_first(started) + later

    def _uncalled_by_start(self, now: datetime) -> tuple[list[Call], list[Call]]:
        """The calls of the slots that have started, and of those that have not, each in slot and queue order."""
        started: list[Call] = []
        later: list[Call] = []
        for slot in self.slots:
            if slot.status is not SlotStatus.CANCELLED:
                (started if slot.starts_at <= now else later).extend(self._uncalled(slot))
        return started, later

    def _uncalled(self, slot: Slot) -> list[Call]:
        """The slot's confirmed tokens not called yet, in queue order, each with the slot."""
        return [(t, slot) for t in self.filed.queue(slot.id, TokenStatus.CONFIRMED) if t.called_at is None]

    def consult_minutes(self, slot: Slot) -> float:
        """Measured minutes per consultation when known, else the slot's length divided by its capacity."""
        return self.doctor.consult_minutes or slot.consult_minutes

    def active_token_of(self, key: str) -> Token | None:
        return next((t for t in self.filed.by_patient.get(key, ()) if t.status.is_active), None)

    def token(self, ref: str) -> Token | None:
        """The token with that id or (lower-case) token number."""
        return self.filed.by_ref.get(ref)

    def active_in(self, slot: Slot) -> list[Token]:
        """The slot's pending and confirmed tokens, in the day's order."""
        index = self.filed
        found = index.queue(slot.id, TokenStatus.CONFIRMED) + index.queue(slot.id, TokenStatus.PENDING)
        return sorted(found, key=index.order.__getitem__)

    def next_arrival(self) -> int:
        return self.filed.last_arrival + 1

    def next_ordinal(self, is_emergency: bool) -> int:
        index = self.filed
        return (index.emergencies if is_emergency else index.size - index.emergencies) + 1

    def position(self, token: Token) -> int | None:
        """1-based place in the slot's consultation order (confirmed) or waitlist (pending)."""
        if not token.status.is_active:
            return None
        return self.filed.place_in_queue(token) + 1


def _here_first(calls: list[Call]) -> list[Call]:
    """The checked-in patients first, then the others, each in the order given."""
    return [call for call in calls if call[0].checked_in_at is not None] + [
        call for call in calls if call[0].checked_in_at is None
    ]
