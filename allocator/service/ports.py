"""What the batch processor needs from storage, as ports: the adapters (PostgreSQL, in memory) implement them."""

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol
from uuid import UUID

from allocator.domain.alternatives import SlotSeats
from allocator.domain.day import Day
from allocator.domain.model import Doctor
from allocator.domain.workspace import Changes
from shared.contracts.commands import AnyCommand
from shared.contracts.events import AnyEvent
from shared.contracts.replies import Reply


class Fenced(Exception):
    """Another allocator took this shard's lease: this one must not commit."""


@dataclass(frozen=True, slots=True)
class StoredReply:
    """A command's recorded outcome: what it was (its payload's hash), the reply, and who sent it."""

    payload_hash: str
    reply: Reply
    issuer: str | None


@dataclass(frozen=True, slots=True)
class InboxRow:
    command: AnyCommand
    payload_hash: str
    reply: Reply
    issuer: str | None

    @property
    def stored(self) -> StoredReply:
        """The row as the inbox answers a repeat of the command."""
        return StoredReply(self.payload_hash, self.reply, self.issuer)


@dataclass(slots=True)
class BatchWrite:
    """Everything one batch writes, committed at once or not at all under the shard's lease epoch.

    ``published``: events the relay has had confirmed since, marked published in the same commit.
    """

    shard: int
    epoch: int
    changes: Changes
    inbox: list[InboxRow] = field(default_factory=list)
    outbox: list[AnyEvent] = field(default_factory=list)
    published: list[UUID] = field(default_factory=list)


class Store(Protocol):
    """What every store tells the processor about its own failures."""

    def unavailable(self, exc: BaseException) -> bool:
        """Whether this failure of the store may pass if the same work is tried again (a lost connection, a
        server restarting): the batch is then kept and retried, not split to find a culprit."""
        ...


class StateStore(Store, Protocol):
    """Reads of the allocator's state: doctors, their days and what colleague suggestions count."""

    async def load_doctor(self, doctor_id: UUID) -> Doctor | None: ...

    async def load_day(self, doctor: Doctor, day: date) -> Day:
        """The doctor's day as committed (empty if nothing was booked or changed on it)."""
        ...

    async def materialized_dates(self, doctor_id: UUID, first: date) -> list[date]:
        """Dates from ``first`` on for which the doctor's day already has dated slots."""
        ...

    async def doctors_with_day(self, day: date) -> list[UUID]:
        """Doctors whose day ``day`` has dated slots: the days the clock acts on."""
        ...

    async def locate_token(self, doctor_id: UUID, ref: str) -> date | None:
        """The date of a doctor's token named by id or token number."""
        ...

    async def reserve_doctor_code(self) -> str: ...

    async def specialists(self, specialization: str, limit: int) -> list[Doctor]:
        """Doctors of a specialization (any case), by name; they may belong to other shards."""
        ...

    async def slot_seats(self, doctor_ids: list[UUID], day: date) -> dict[UUID, list[SlotSeats]]: ...


class MessageStore(Store, Protocol):
    """Leases (fencing), recorded outcomes (inbox) and events to publish (outbox), with the batch commit."""

    async def acquire_lease(self, shard: int, holder: str) -> int:
        """Take the shard by bumping its epoch; every earlier holder is fenced from now on."""
        ...

    async def commit(self, batch: BatchWrite) -> dict[UUID, StoredReply]:
        """Write the batch atomically; raise ``Fenced`` if its epoch is stale.

        If some of its commands already have an outcome, write nothing and return those outcomes instead.
        """
        ...

    async def record_failure(self, shard: int, epoch: int, row: InboxRow) -> StoredReply:
        """Record a dead-lettered command's outcome unless it has one (under the lease, like a commit); the outcome
        recorded for the command now (this one, or the one it had)."""
        ...


class EventOutlet(Protocol):
    """The outbox relay as the processor sees it: committed events go out from memory, in commit order."""

    def committed(self, events: list[AnyEvent]) -> None:
        """Publish these events, just committed, after everything handed over before."""
        ...

    def sweep_first(self) -> None:
        """What the outbox holds unpublished goes out before anything handed over later: after a lease changed
        hands (an earlier holder's leftovers), or a commit whose outcome is unknown (it may have committed)."""
        ...

    def take_confirmed(self) -> list[UUID]:
        """Events the broker has confirmed since the last call: the next commit marks them published."""
        ...

    def give_back(self, event_ids: list[UUID]) -> None:
        """Confirmed events a failed commit did not mark: the next one will."""
        ...
