"""The seat rule of DESIGN §2, as arithmetic every service computes the same way.

Per dated slot: capacity C, reserved emergency seats R, optional per-source quotas. N = confirmed regular
tokens, E = confirmed emergency tokens.

- A regular token gets a seat iff ``N + max(E, R) + held < C`` and its source is under its quota, where
  ``held`` is the unused quota of the *other* sources (kept for them until the slot starts).
- An emergency gets a seat iff ``N + E < C``, or the single overflow seat iff ``N + E = C``.
- When the slot starts, the reserve and the quota holds are released (a setting); quota caps stay.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from shared.contracts.values import TokenSource


@dataclass(slots=True)
class Ledger:
    """Occupancy of one slot at one instant, and who may still take a seat."""

    capacity: int
    reserve: int
    quotas: Mapping[TokenSource, int] = field(default_factory=dict)
    holds_active: bool = True
    emergency: int = 0
    by_source: Counter[TokenSource] = field(default_factory=Counter)

    @classmethod
    def of(
        cls,
        capacity: int,
        reserved: int,
        quotas: Mapping[TokenSource, int],
        started: bool,
        confirmed: Mapping[TokenSource, int],
        release_at_start: bool = True,
    ) -> "Ledger":
        released = started and release_at_start
        counts: Counter[TokenSource] = Counter({s: n for s, n in confirmed.items() if s is not TokenSource.EMERGENCY})
        return cls(
            capacity=capacity,
            reserve=0 if released else reserved,
            quotas=quotas,
            holds_active=not released,
            emergency=confirmed.get(TokenSource.EMERGENCY, 0),
            by_source=counts,
        )

    @property
    def regular(self) -> int:
        return sum(self.by_source.values())

    @property
    def occupied(self) -> int:
        return self.regular + self.emergency

    @property
    def overflow_used(self) -> bool:
        return self.occupied > self.capacity

    def held_for_others(self, source: TokenSource | None) -> int:
        """Seats kept for quota sources other than ``source`` (none once the slot has started)."""
        if not self.holds_active:
            return 0
        return sum(max(0, quota - self.by_source[s]) for s, quota in self.quotas.items() if s is not source)

    def quota_left(self, source: TokenSource) -> int | None:
        quota = self.quotas.get(source)
        return None if quota is None else max(0, quota - self.by_source[source])

    def seats_for(self, source: TokenSource) -> int:
        """How many more regular tokens of this source would get a seat now."""
        free = self.capacity - self.regular - max(self.emergency, self.reserve) - self.held_for_others(source)
        room = self.quota_left(source)
        return max(0, free if room is None else min(free, room))

    def fits(self, source: TokenSource) -> bool:
        if source is TokenSource.EMERGENCY:
            return self.occupied <= self.capacity
        return self.seats_for(source) > 0

    def take(self, source: TokenSource) -> None:
        if source is TokenSource.EMERGENCY:
            self.emergency += 1
        else:
            self.by_source[source] += 1

    def admits_newcomer(self, source: TokenSource, waiting: Iterable[tuple[TokenSource, int]]) -> bool:
        """Whether a new token of ``source`` gets a seat, once the slot's waitlist has taken what it may: waiting
        patients of no worse priority arrived earlier, so seats freed since the waitlist was last promoted go to
        them first. ``waiting``: the waitlist in queue order, as runs of one source (source, how many). Takes
        those seats on this ledger.
        """
        for ahead, count in waiting:
            if _goes_before(ahead, source):
                for _ in range(count):
                    if not self.fits(ahead):
                        break  # nor will the rest of the run: only their own takes changed the ledger
                    self.take(ahead)
        return self.fits(source)

    def waitlist_goes_first(self, source: TokenSource, waiting: Iterable[TokenSource]) -> bool:
        """Whether a waiting patient ahead of a newcomer of ``source`` would take a seat before it, ``waiting`` being
        the sources on the waitlist (in any order). When not, ``admits_newcomer`` takes nothing and is ``fits``."""
        return any(_goes_before(ahead, source) and self.fits(ahead) for ahead in waiting)

    @property
    def regular_seats_left(self) -> int:
        """Seats left for a regular patient of a source without a quota (what a walk-in desk sees)."""
        free = self.capacity - self.regular - max(self.emergency, self.reserve) - self.held_for_others(None)
        return max(0, free)

    @property
    def emergency_seats_left(self) -> int:
        """Seats an emergency can take without the overflow: ``C - N - E``."""
        return max(0, self.capacity - self.occupied)

    @property
    def any_regular_seat(self) -> bool:
        """Some regular patient (of some source) could still get a seat; else the slot is full."""
        return any(self.seats_for(source) > 0 for source in TokenSource if source is not TokenSource.EMERGENCY)


def _goes_before(waiting: TokenSource, newcomer: TokenSource) -> bool:
    """Whether a waiting patient of that source takes a freed seat before a newcomer: one of no worse priority,
    unless the newcomer is an emergency (its seat is never given to the waitlist first)."""
    return newcomer is not TokenSource.EMERGENCY and waiting.priority <= newcomer.priority
