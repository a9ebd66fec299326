"""The outcomes of the commands a shard's processor committed lately, kept in memory.

A client that does not hear back in time sends the same command again (kiosks after two seconds, the gateway's
callers with their ``Idempotency-Key``). Outcomes are final once recorded, so a repeat is answered from here with
no database call, and the batch it came in keeps the state the processor holds. Without it, every batch holding a
repeat was decided, refused by the database as already recorded, decided again from reloaded state and committed:
twice the work exactly when a backlog after a takeover makes clients repeat themselves, which on a slow machine
kept every answer late (the fencing drill, docs/performance.md).
"""

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from uuid import UUID

from allocator.service.ports import StoredReply
from shared.contracts.commands import Command

# At the drill's 50 commands a second per shard, about 80 s of outcomes: longer than any client keeps retrying one
# request. A reply is a few kilobytes at most, so a shard's memory of them stays within about 10 MB.
CAPACITY = 4096


class RecentOutcomes:
    """The last ``capacity`` outcomes by command id; the oldest recorded are forgotten first."""

    def __init__(self, capacity: int = CAPACITY) -> None:
        self.capacity = capacity
        self._outcomes: OrderedDict[UUID, StoredReply] = OrderedDict()

    def __len__(self) -> int:
        return len(self._outcomes)

    def of(self, commands: Sequence[Command]) -> dict[UUID, StoredReply]:
        """The known outcomes of these commands (a repeat of a recent one), by command id. Reading one does not make
        it newer: outcomes are forgotten in the order they were recorded."""
        return {c.command_id: known for c in commands if (known := self._outcomes.get(c.command_id)) is not None}

    def remember(self, outcomes: Iterable[tuple[UUID, StoredReply]]) -> None:
        """Outcomes recorded in the database: committed by this processor, or found there before."""
        for command_id, outcome in outcomes:
            self._outcomes[command_id] = outcome
            self._outcomes.move_to_end(command_id)  # recorded again (found after a takeover): newest now
        while len(self._outcomes) > self.capacity:
            self._outcomes.popitem(last=False)
