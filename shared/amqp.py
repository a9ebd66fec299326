"""RabbitMQ plumbing shared by services: connecting, channels, persistent messages and what a failure means."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import cast

import aio_pika
import aiormq
from aio_pika.abc import AbstractChannel, AbstractConnection
from yarl import URL

from shared.backoff import backoff_seconds
from shared.codec import CONTENT_TYPE
from shared.lifecycle import sleep_unless
from shared.readiness import Readiness
from shared.startup import StartupError, broker_fatal, broker_problem
from shared.topology import Topology, declare

log = logging.getLogger(__name__)

Underlay = aiormq.Channel
"""The AMQP channel under aio-pika's: published to without message objects (D99); its ``basic_publish`` can leave
the socket's drain to the connection's writer (``wait=False``) where a confirm is awaited anyway, or none is wanted."""


async def underlay_of(channel: AbstractChannel) -> Underlay:
    """The channel under an aio-pika channel (aio-pika types it as aiormq's abstract channel)."""
    return cast(Underlay, await channel.get_underlay_channel())


AMQP_ERRORS: tuple[type[Exception], ...] = (
    aio_pika.exceptions.AMQPError,
    aio_pika.exceptions.ChannelInvalidStateError,
    ConnectionError,
    OSError,
    asyncio.TimeoutError,
)
PUBLISH_ERRORS: tuple[type[Exception], ...] = (*AMQP_ERRORS, aio_pika.exceptions.DeliveryError)


def broker_failed(exc: BaseException, errors: tuple[type[Exception], ...] = AMQP_ERRORS) -> bool:
    """One of ``errors``, or the bare ``Exception`` aiormq fails pending work with when its connection closes
    without a reason (a channel being opened, a confirm awaited, as the broker drill closes connections)."""
    return isinstance(exc, errors) or type(exc) is Exception


DEAD_LETTER_REASON = "x-opd-error"
DEAD_LETTER_QUEUE = "x-opd-queue"
DEAD_LETTER_CODE = "x-opd-error-code"
DEAD_LETTER_BODY_BYTES = "x-opd-body-bytes"


class _Connection(aio_pika.Connection):
    """aio-pika's connection, closed at once when connecting fails. aio-pika leaves a failed attempt to the garbage
    collector, whose close is a task that outlives a service stopping while the broker is unreachable."""

    async def connect(self, timeout: aiormq.abc.TimeoutType = None) -> None:
        try:
            await super().connect(timeout)
        except BaseException:
            await self.close()
            raise


async def connect(url: str, name: str, timeout: float = 5.0) -> AbstractConnection:
    """A plain connection (the caller owns reconnecting), named so operators can see who is connected."""
    return await aio_pika.connect(
        url, timeout=timeout, client_properties={"connection_name": name}, connection_class=_Connection
    )


def login_of(url: str) -> str:
    """The broker user a URL logs in as (the broker's default, guest, when it names none): commands carry it as
    their ``user_id``, which the broker checks against the connection's login."""
    return URL(url).user or "guest"


def persistent(body: bytes, **properties: object) -> aio_pika.Message:
    """A durable message: survives a broker restart. aio-pika's default is transient."""
    return aio_pika.Message(
        body,
        content_type=CONTENT_TYPE,
        delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
        **properties,  # type: ignore[arg-type]
    )


RECONNECT_INITIAL_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 30.0


async def serve_connected(
    url: str,
    name: str,
    topology: Topology,
    serve: Callable[[AbstractConnection], Awaitable[None]],
    stop: asyncio.Event,
    readiness: Readiness | None = None,
) -> None:
    """Connect, declare the topology, run ``serve``; on any broker failure reconnect with backoff, until ``stop``.

    Until the first connection succeeds, a refused login or virtual host is a ``StartupError``: waiting would not
    fix it. Later (a broker restarting may refuse logins for a moment) it is retried like any outage.
    """
    attempt = 0
    connected_once = False
    while not stop.is_set():
        try:
            connection = await connect(url, name)
        except AMQP_ERRORS as exc:
            problem = broker_problem(exc, url)
            if broker_fatal(exc) and not connected_once:
                raise StartupError(problem) from exc
            attempt += 1
            delay = backoff_seconds(attempt, RECONNECT_INITIAL_SECONDS, RECONNECT_MAX_SECONDS)
            if readiness is not None:
                readiness.down("broker", problem)
            log.warning("%s Retrying in %.1f s.", problem, delay)
            await sleep_unless(stop, delay)
            continue
        connected_once = True
        attempt = 0
        try:
            async with connection:
                await declare(await connection.channel(), topology)
                if readiness is not None:
                    readiness.up("broker")
                await serve(connection)
        except* Exception as group:
            _, other = group.split(broker_failed)
            if other is not None:
                raise other from None  # not the broker: not ours to retry
            if readiness is not None:
                readiness.down("broker", f"connection to RabbitMQ lost: {group.exceptions[0]!r}; reconnecting")
            log.warning("broker connection lost (%r); reconnecting", group.exceptions[0])
            await sleep_unless(stop, RECONNECT_INITIAL_SECONDS)
