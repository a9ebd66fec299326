"""A day's tokens filed for quick lookups: by slot and status in consultation order, seats by source, by patient
and by reference, plus the counters that number new tokens. ``Day`` keeps it in step with its tokens."""

from bisect import bisect_left, insort
from collections import Counter
from dataclasses import dataclass, field
from uuid import UUID

from allocator.domain.model import Token
from shared.contracts.values import TokenSource, TokenStatus

SEATED = (TokenStatus.CONFIRMED, TokenStatus.COMPLETED)

Place = tuple[UUID, TokenStatus]


@dataclass(slots=True)
class TokenIndex:
    queues: dict[Place, list[Token]] = field(default_factory=dict)  # (slot id, status) -> consultation order
    seated: dict[UUID, Counter[TokenSource]] = field(default_factory=dict)  # slot id -> seats taken, by source
    waiting: dict[UUID, Counter[TokenSource]] = field(default_factory=dict)  # slot id -> its waitlist, by source
    by_patient: dict[str, list[Token]] = field(default_factory=dict)
    by_ref: dict[str, Token] = field(default_factory=dict)  # str(id) and lower-case token number -> token
    called: list[Token] = field(default_factory=list)  # those who may be in consultation, in the day's order
    places: dict[Token, Place] = field(default_factory=dict)  # where each token is filed
    order: dict[Token, int] = field(default_factory=dict)  # position in the day's token list
    last_arrival: int = 0
    emergencies: int = 0

    @classmethod
    def of(cls, tokens: list[Token]) -> "TokenIndex":
        index = cls()
        for token in tokens:
            index.add(token)
        return index

    @property
    def size(self) -> int:
        return len(self.order)

    def add(self, token: Token) -> None:
        """A token appended to the day's list."""
        self.order[token] = len(self.order)
        self.by_patient.setdefault(token.patient_key, []).append(token)
        self.by_ref.setdefault(str(token.id), token)
        self.by_ref.setdefault(token.token_number.lower(), token)
        self.last_arrival = max(self.last_arrival, token.arrival)
        self.emergencies += token.is_emergency
        if token.called_at is not None:
            self.called.append(token)
        self.file(token)

    def queue(self, slot_id: UUID, status: TokenStatus) -> list[Token]:
        """The slot's tokens of that status in consultation order (the index's own list: do not change it)."""
        return self.queues.get((slot_id, status), [])

    def place_in_queue(self, token: Token) -> int:
        """How many tokens come before this filed token in its queue (a binary search: queues are in rank order)."""
        queue = self.queues[self.places[token]]
        return bisect_left(queue, self._rank(token), key=self._rank)

    def file(self, token: Token) -> None:
        """File the token under its current slot and status (``unfile`` it first if it was filed)."""
        place = (token.slot_id, token.status)
        self.places[token] = place
        insort(self.queues.setdefault(place, []), token, key=self._rank)
        tally = self._tally(token.slot_id, token.status)
        if tally is not None:
            tally.setdefault(token.slot_id, Counter())[token.source] += 1

    def unfile(self, token: Token) -> None:
        slot_id, status = place = self.places.pop(token)
        self.queues[place].remove(token)
        tally = self._tally(slot_id, status)
        if tally is not None:
            counts = tally[slot_id]
            counts[token.source] -= 1
            if not counts[token.source]:
                del counts[token.source]

    def _tally(self, slot_id: UUID, status: TokenStatus) -> dict[UUID, Counter[TokenSource]] | None:
        """Which count by source a token of that status is in: seats taken, the waitlist, or none."""
        if status in SEATED:
            return self.seated
        return self.waiting if status is TokenStatus.PENDING else None

    def called_now(self, token: Token) -> None:
        """The token was just called: it may be the one in consultation."""
        if token not in self.called:
            insort(self.called, token, key=self.order.__getitem__)

    def serving(self) -> Token | None:
        """The first token of the day in consultation; forgets those who can no longer be without a new call."""
        self.called = [t for t in self.called if t.called_at is not None and t.status is not TokenStatus.COMPLETED]
        return next((t for t in self.called if t.in_consultation), None)

    def _rank(self, token: Token) -> tuple[tuple[int, float], int]:
        """Consultation order; ties go to the token earlier in the day's list (as a stable sort would)."""
        return token.order_key, self.order[token]
