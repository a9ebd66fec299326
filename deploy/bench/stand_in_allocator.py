"""A stand-in allocator for measuring the transport's floor: it answers every command at once, deciding nothing.

Not part of the product. It consumes the shard queues (run it only after the real allocator has stopped: they
have a single active consumer) and answers each command with a reply the real allocator gave earlier to a command
of the same type (read from the inbox), under the new command's id (a new doctor under its own id, so that
bookings spread over the shards as they do for the real allocator). It acks each command once answered (the real
allocator acks several at once, D100). No database work, no events: what is left of a booking's time is the
gateway, the broker's two hops, the quorum queue's write and its ack, the part of the design card that no
allocator can make faster.

usage: python -m deploy.bench.stand_in_allocator   (the services' OPD_* settings; needs one recorded command of
each type the load will send)
"""

import asyncio
import signal
from typing import cast

import aiormq
import orjson
import uvloop
from aiormq.abc import DeliveredMessage
from pamqp.commands import Basic

from shared import db
from shared.codec import CONTENT_TYPE
from shared.settings import CommonSettings
from shared.topology import Topology


async def recorded_replies(dsn: str) -> dict[str, dict[str, object]]:
    """One successful reply per command type, as the real allocator stored it."""
    connection = await db.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT DISTINCT ON (command_type) command_type, reply FROM inbox WHERE ok ORDER BY command_type"
        )
    finally:
        await connection.close()
    return {row["command_type"]: row["reply"] for row in rows}


def answer(replies: dict[str, dict[str, object]], body: bytes) -> bytes | None:
    """The recorded reply for the command's type, under its command id (a new doctor under its own id); None for
    a type never recorded."""
    command = orjson.loads(body)
    reply = replies.get(command.get("type"))
    if reply is None:
        return None
    result = reply.get("result")
    if command.get("type") == "CreateDoctor" and isinstance(result, dict) and isinstance(result.get("doctor"), dict):
        result = {**result, "doctor": {**result["doctor"], "id": command["payload"]["doctorId"]}}
    return orjson.dumps({**reply, "commandId": command.get("commandId"), "result": result})


async def serve(settings: CommonSettings, stop: asyncio.Event) -> None:
    replies = await recorded_replies(settings.database_url)
    if not replies:
        raise SystemExit("no recorded reply in the inbox: run the real allocator for a few commands first")
    topology = Topology(settings.broker_prefix, settings.shard_count)
    connection = await aiormq.connect(settings.amqp_url)
    channel = cast(aiormq.Channel, await connection.channel())  # its basic_publish takes wait

    async def on_command(message: DeliveredMessage) -> None:
        properties = message.header.properties
        body = answer(replies, message.body)
        if body is not None and properties.reply_to:
            reply_properties = Basic.Properties(content_type=CONTENT_TYPE, correlation_id=properties.correlation_id)
            await channel.basic_publish(body, routing_key=properties.reply_to, properties=reply_properties, wait=False)
        await channel.basic_ack(message.delivery_tag or 0)

    await channel.basic_qos(prefetch_count=64)  # as a shard consumer's batch
    for shard in range(topology.shard_count):
        await channel.basic_consume(topology.shard_queue(shard), on_command)
    print(f"stand-in allocator: answering {', '.join(sorted(replies))} on {topology.shard_count} shards", flush=True)
    await stop.wait()
    await connection.close()


async def main() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await serve(CommonSettings(), stop)


if __name__ == "__main__":
    uvloop.run(main())  # as the services run
