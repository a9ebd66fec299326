"""Sending a command and awaiting the allocator's reply: RPC over RabbitMQ's direct reply-to.

Used by the gateway and by kiosk clients. Publishing waits for the broker's confirm and refuses an
unroutable message, so a command is either safely queued or the caller is told it was not.

aio-pika opens the connection and the channel and declares the topology; each command is published, and each reply
consumed, on the channel underneath (aiormq) without aio-pika's message objects: about a tenth of the client's CPU
per command (docs/performance.md, "Outside the allocator").
"""

import asyncio
import contextlib
import logging
import time
from uuid import uuid4

from aio_pika.abc import AbstractChannel, AbstractConnection
from aiormq.abc import DeliveredMessage
from pamqp.commands import Basic

from shared import amqp
from shared.codec import CONTENT_TYPE, DecodeError, decode_reply, encode
from shared.contracts.commands import AnyCommand
from shared.contracts.replies import Reply
from shared.topology import REPLY_TO, Topology, declare

log = logging.getLogger(__name__)
RETRY_CONNECT_AFTER = 1.0  # after a failed connect, fail fast for this long instead of queueing on the lock


class BrokerUnavailable(Exception):
    """The command could not be handed to the broker; nothing was published."""


class CommandBus:
    """One connection and channel, opened on first use and reopened after a failure."""

    def __init__(
        self,
        url: str,
        topology: Topology,
        name: str,
        connect_timeout: float = 3.0,
        publish_timeout: float = 5.0,
        declare_topology: bool = True,
    ) -> None:
        """``declare_topology=False`` for clients without configure rights (kiosks): the broker's is used as is."""
        self.url = url
        self.user = amqp.login_of(url)
        self.topology = topology
        self.name = name
        self.declare_topology = declare_topology
        self.connect_timeout = connect_timeout
        self.publish_timeout = publish_timeout
        self._down_until = 0.0
        self._last_failure: BaseException | None = None
        self._connection: AbstractConnection | None = None
        self._channel: AbstractChannel | None = None
        self._underlay: amqp.Underlay | None = None
        self._waiting: dict[str, asyncio.Future[Reply]] = {}
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return self._channel is not None and not self._channel.is_closed

    async def _ensure_channel(self) -> amqp.Underlay:
        async with self._lock:
            if self._channel is not None and self._underlay is not None and not self._channel.is_closed:
                return self._underlay
            await self._close_quietly()
            if time.monotonic() < self._down_until:
                raise BrokerUnavailable("broker unavailable (recent connection failure)") from self._last_failure
            try:
                self._connection = await amqp.connect(self.url, self.name, timeout=self.connect_timeout)
                channel = await self._connection.channel(publisher_confirms=True, on_return_raises=True)
                if self.declare_topology:  # else the broker's topology is used as it is
                    await declare(channel, self.topology)
                underlay = await amqp.underlay_of(channel)
                await underlay.basic_consume(REPLY_TO, self._on_reply, no_ack=True)
                self._channel, self._underlay = channel, underlay
            except Exception as exc:
                if not amqp.broker_failed(exc):
                    raise
                await self._close_quietly()
                self._down_until = time.monotonic() + RETRY_CONNECT_AFTER
                self._last_failure = exc
                raise BrokerUnavailable(f"broker unavailable: {exc!r}") from exc
            return underlay

    async def ensure_connected(self) -> None:
        """Open the channel now (readiness checks); raises BrokerUnavailable."""
        await self._ensure_channel()

    async def _on_reply(self, message: DeliveredMessage) -> None:
        waiter = self._waiting.pop(message.header.properties.correlation_id or "", None)
        if waiter is None or waiter.done():
            return
        try:
            waiter.set_result(decode_reply(message.body))
        except DecodeError as exc:
            waiter.set_exception(exc)

    async def publish(self, command: AnyCommand) -> tuple[str, asyncio.Future[Reply]]:
        """Hand the command to the broker (confirmed); returns the correlation id and the future of its reply.

        Each request gets its own correlation id, so two concurrent requests for the same command id (a client
        retrying) each receive an answer.
        """
        channel = await self._ensure_channel()
        key = str(uuid4())
        waiter: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
        self._waiting[key] = waiter
        shard = command.shard(self.topology.shard_count)
        properties = Basic.Properties(  # persistent: survives a broker restart
            content_type=CONTENT_TYPE,
            delivery_mode=2,
            message_id=str(command.command_id),
            correlation_id=key,
            reply_to=REPLY_TO,
            message_type=command.type,
            user_id=self.user,
        )
        try:
            await channel.basic_publish(
                encode(command),
                exchange=self.topology.commands_exchange,
                routing_key=self.topology.shard_routing_key(shard),
                properties=properties,
                mandatory=True,
                timeout=self.publish_timeout,
                wait=False,  # the confirm is awaited: a socket drain per command would add nothing to it
            )
        except BaseException as exc:
            self._waiting.pop(key, None)  # whatever ended the publish (a cancelled request too), nobody waits now
            if not (isinstance(exc, Exception) and amqp.broker_failed(exc, amqp.PUBLISH_ERRORS)):
                raise
            await self._close_quietly()
            raise BrokerUnavailable(f"command not accepted by the broker: {exc!r}") from exc
        return key, waiter

    async def request(self, command: AnyCommand, timeout: float) -> Reply | None:
        """Publish and wait for the reply; None when the allocator has not answered in time."""
        key, waiter = await self.publish(command)
        try:
            return await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            return None
        finally:
            self._waiting.pop(key, None)

    async def _close_quietly(self) -> None:
        connection, self._connection, self._channel, self._underlay = self._connection, None, None, None
        if connection is not None and not connection.is_closed:
            with contextlib.suppress(*amqp.AMQP_ERRORS):
                await connection.close()

    async def close(self) -> None:
        async with self._lock:
            await self._close_quietly()
        for waiter in self._waiting.values():
            waiter.cancel()
        self._waiting.clear()
