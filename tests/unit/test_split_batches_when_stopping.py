"""Splitting a failing batch to find its culprit, as the service stops: what is left uncommitted is never acked by
a later item's multiple ack (the allocator's commands and the notifier's events), and a fenced shard gives its
message back instead of parking it."""

import asyncio
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from allocator.entrypoints.shard_consumer import BatchSettings, LeaseLost, ShardConsumer
from allocator.service.ports import Fenced
from allocator.service.processor import BatchConflict, PoisonCommand
from notifier.consumer import EventConsumer
from shared.authority import Principal
from shared.contracts.caller import Role
from shared.contracts.commands import Command
from shared.contracts.events import Event
from shared.contracts.replies import Reply
from shared.errors import TransientError
from shared.topology import Topology
from tests.support.commands import book_command
from tests.support.notifier import token_event, token_view

DESK = Principal("key:desk", Role.STAFF)


@dataclass
class Delivery:
    """Stands in for an incoming message without ``reply_to``: remembers how it was settled."""

    delivery_tag: int
    reply_to: None = None
    type: str = "BookToken"
    message_id: str = "m"
    correlation_id: None = None
    settled: list[str] = field(default_factory=list)

    async def ack(self, multiple: bool = False) -> None:
        self.settled.append("ack multiple" if multiple else "ack")

    async def nack(self, requeue: bool = True) -> None:
        self.settled.append("nack")


class DatabaseGoesAwayAsItStops(EventConsumer):
    """A batch that breaks a constraint; then, one by one, the first event meets a database going away just as
    the notifier is asked to stop, and the next would record (a doctor's event needs no database)."""

    def __init__(self, stop: asyncio.Event) -> None:
        super().__init__(None, Topology("test", 1), ZoneInfo("Asia/Kolkata"), channels=["log"])
        self.stop = stop
        self.recorded_events: list[Event] = []

    async def _record(self, events: list[Event]) -> list[tuple[str, int]]:
        if len(events) > 1:
            raise ValueError("a constraint")
        if not self.stop.is_set():
            self.stop.set()
            raise ConnectionRefusedError("database unavailable")
        self.recorded_events += events
        return []


async def test_a_split_event_batch_stopping_midway_acks_nothing_it_left_unrecorded() -> None:
    stop = asyncio.Event()
    consumer = DatabaseGoesAwayAsItStops(stop)
    doctor_id = uuid4()
    first, second = Delivery(1), Delivery(2)
    items: list[Any] = [
        (first, token_event("token.confirmed", token_view(doctor_id))),
        (second, token_event("token.confirmed", token_view(doctor_id))),
    ]

    await consumer._record_and_ack(None, items, stop)  # type: ignore[arg-type]

    assert first.settled == [] and second.settled == []  # the first was never recorded: both come again
    assert consumer.recorded_events == []


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


async def test_a_split_command_batch_stopping_midway_acks_nothing_it_left_uncommitted() -> None:
    stop = asyncio.Event()
    consumer = ShardConsumer(StopsDuringTheSplit(stop), Topology("test", 1), BatchSettings(), {})  # type: ignore[arg-type]
    consumer._replies = None  # type: ignore[assignment]  # no reply_to: nothing is published
    first, second = Delivery(1), Delivery(2)
    items = [(first, book_command(uuid4(), "A"), DESK), (second, book_command(uuid4(), "B"), DESK)]

    await consumer._commit(None, items, stop)  # type: ignore[arg-type]

    assert first.settled == [] and second.settled == []  # the first was never committed: both come again


class FencedWhileParking:
    """A command breaks its handler; recording its failure finds another allocator holding the shard."""

    shard = 0
    cancel_secret = None

    async def process(self, commands: list[Command], principals: Any = None) -> list[Reply]:
        raise PoisonCommand(0, RuntimeError("a bug"))

    async def record_failure(self, command: Command, reply: Reply, principal: Principal | None) -> Reply:
        raise Fenced("shard 0: epoch 1 is no longer current")


async def test_a_fenced_shard_gives_a_poison_command_back_instead_of_parking_it() -> None:
    consumer = ShardConsumer(FencedWhileParking(), Topology("test", 1), BatchSettings(), {})  # type: ignore[arg-type]
    consumer._replies = None  # type: ignore[assignment]  # no reply_to: nothing is published
    poison = Delivery(1)

    with pytest.raises(LeaseLost):
        await consumer._commit(None, [(poison, book_command(uuid4(), "A"), DESK)], asyncio.Event())  # type: ignore[list-item, arg-type]

    assert poison.settled == []  # neither parked nor acked: it goes back to the queue with the channel
