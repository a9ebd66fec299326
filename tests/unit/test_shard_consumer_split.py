"""The shard consumer splits a failing batch to find its culprit; stopping meanwhile must not ack what it left."""

import asyncio
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

from allocator.entrypoints.shard_consumer import BatchSettings, ShardConsumer
from allocator.service.processor import BatchConflict
from shared.authority import Principal
from shared.contracts.caller import Role
from shared.contracts.commands import Command
from shared.contracts.replies import Reply
from shared.errors import TransientError
from shared.topology import Topology
from tests.support.commands import book_command

DESK = Principal("key:desk", Role.STAFF)


@dataclass
class Delivery:
    """Stands in for an incoming message without ``reply_to``: remembers how it was acked."""

    delivery_tag: int
    reply_to: None = None
    type: str = "BookToken"
    acks: list[bool] = field(default_factory=list)

    async def ack(self, multiple: bool = False) -> None:
        self.acks.append(multiple)


class StopsDuringTheSplit:
    """Refuses the whole batch; then the database goes away just as the service is asked to stop."""

    shard = 0
    cancel_secret = None

    def __init__(self, stop: asyncio.Event) -> None:
        self.stop = stop

    async def process(self, commands: list[Command], principals: Any = None) -> list[Reply]:
        if len(commands) > 1:
            raise BatchConflict("a constraint")
        if not self.stop.is_set():
            self.stop.set()
            raise TransientError("database unavailable")
        return [Reply(command_id=commands[0].command_id, ok=True)]


async def test_a_split_batch_stopping_midway_acks_nothing_it_left_uncommitted() -> None:
    stop = asyncio.Event()
    consumer = ShardConsumer(StopsDuringTheSplit(stop), Topology("test", 1), BatchSettings(), {})  # type: ignore[arg-type]
    consumer._replies = None  # type: ignore[assignment]  # no reply_to: nothing is published
    first, second = Delivery(1), Delivery(2)
    items = [(first, book_command(uuid4(), "A"), DESK), (second, book_command(uuid4(), "B"), DESK)]

    await consumer._commit(None, items, stop)  # type: ignore[arg-type]

    assert first.acks == [] and second.acks == []  # the first was never committed: both come again
