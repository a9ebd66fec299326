"""Broker topology: names and one idempotent declaration that every service runs with identical arguments."""

from dataclasses import dataclass

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractExchange
from pamqp.common import FieldTable

COMMAND_DELIVERY_LIMIT = 20
EVENT_DELIVERY_LIMIT = 10
DLQ_COMMANDS_KEY = "commands"
DLQ_EVENTS_KEY = "events"
REPLY_TO = "amq.rabbitmq.reply-to"


@dataclass(frozen=True, slots=True)
class Topology:
    """Every exchange and queue name, derived from one prefix (``opd`` in production)."""

    prefix: str
    shard_count: int

    @property
    def commands_exchange(self) -> str:
        return f"{self.prefix}.commands"

    @property
    def events_exchange(self) -> str:
        return f"{self.prefix}.events"

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.prefix}.dlx"

    @property
    def notifier_queue(self) -> str:
        return f"{self.prefix}.notifier"

    @property
    def commands_dlq(self) -> str:
        return f"{self.prefix}.commands.dlq"

    @property
    def events_dlq(self) -> str:
        return f"{self.prefix}.events.dlq"

    def shard_routing_key(self, shard: int) -> str:
        return f"shard.{shard}"

    def shard_queue(self, shard: int) -> str:
        return f"{self.prefix}.commands.shard.{shard}"

    def all_queues(self) -> list[str]:
        shards = [self.shard_queue(n) for n in range(self.shard_count)]
        return [*shards, self.notifier_queue, self.commands_dlq, self.events_dlq]


def _quorum(dead_letter_exchange: str, dead_letter_key: str, delivery_limit: int | None) -> FieldTable:
    arguments: FieldTable = {
        "x-queue-type": "quorum",
        "x-dead-letter-exchange": dead_letter_exchange,
        "x-dead-letter-routing-key": dead_letter_key,
    }
    if delivery_limit is not None:
        arguments["x-delivery-limit"] = delivery_limit
    return arguments


@dataclass(frozen=True, slots=True)
class Declared:
    commands: AbstractExchange
    events: AbstractExchange
    dead_letters: AbstractExchange


async def declare(channel: AbstractChannel, topology: Topology) -> Declared:
    """Declare exchanges, shard queues, the notifier queue and dead-letter queues. Safe to repeat."""
    commands = await channel.declare_exchange(topology.commands_exchange, aio_pika.ExchangeType.DIRECT, durable=True)
    events = await channel.declare_exchange(topology.events_exchange, aio_pika.ExchangeType.TOPIC, durable=True)
    dead_letters = await channel.declare_exchange(
        topology.dead_letter_exchange, aio_pika.ExchangeType.DIRECT, durable=True
    )
    for name, key in ((topology.commands_dlq, DLQ_COMMANDS_KEY), (topology.events_dlq, DLQ_EVENTS_KEY)):
        dlq = await channel.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
        await dlq.bind(dead_letters, key)
    for shard in range(topology.shard_count):
        queue = await channel.declare_queue(
            topology.shard_queue(shard),
            durable=True,
            arguments={
                **_quorum(topology.dead_letter_exchange, DLQ_COMMANDS_KEY, COMMAND_DELIVERY_LIMIT),
                "x-single-active-consumer": True,
            },
        )
        await queue.bind(commands, topology.shard_routing_key(shard))
    notifier = await channel.declare_queue(
        topology.notifier_queue,
        durable=True,
        arguments=_quorum(topology.dead_letter_exchange, DLQ_EVENTS_KEY, EVENT_DELIVERY_LIMIT),
    )
    await notifier.bind(events, "#")
    return Declared(commands=commands, events=events, dead_letters=dead_letters)


async def delete(channel: AbstractChannel, topology: Topology) -> None:
    """Remove every queue and exchange of the namespace (tests and benchmarks start from nothing)."""
    for queue in topology.all_queues():
        await channel.queue_delete(queue)
    for exchange in (topology.commands_exchange, topology.events_exchange, topology.dead_letter_exchange):
        await channel.exchange_delete(exchange)
