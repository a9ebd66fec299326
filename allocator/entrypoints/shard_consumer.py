"""Consumes one shard's command queue sequentially, in micro-batches, and maps failures to ack policy.

Committed → reply, then ack. Rejected by the domain → a reply like any other (it is committed too).
Too large, answering anywhere but direct reply-to, undecodable, without ``reply_to``, from a publisher without the
command's role, wrong shard or breaking its handler → dead-lettered with the reason, error reply if asked.
Database down → nothing acked; the same batch is retried with backoff until the database is back.
Fenced → requeued for whoever holds the lease now.
"""

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from aio_pika.abc import AbstractChannel, AbstractConnection

from allocator.adapters import metrics
from allocator.service.ports import Fenced
from allocator.service.processor import ShardProcessor
from shared import log_context
from shared.acks import LingeringAcks, settle
from shared.amqp import Underlay, broker_failed, underlay_of
from shared.authority import BrokerUser, Principal, Unauthorized, authorize, principal_of
from shared.batch_commit import Backoff, BatchCommit
from shared.batching import next_batch
from shared.cancel_codes import cancel_code
from shared.codec import COMMAND_BY_TYPE, DecodeError, decode_command, loads
from shared.contracts.commands import Command, Tick
from shared.contracts.replies import ErrorInfo, Reply
from shared.deliveries import Delivery, consume, dead_letter, send_reply
from shared.errors import Culprit, ErrorCode, TransientError
from shared.lifecycle import sleep_unless
from shared.status_links import StatusLinks
from shared.topology import DLQ_COMMANDS_KEY, REPLY_TO, Topology

log = logging.getLogger(__name__)
NIL = UUID(int=0)
RESUBSCRIBE_SECONDS = 0.5
MAX_COMMAND_BYTES = 64 * 1024  # as the gateway's largest request body: no command needs more


class LeaseLost(Exception):
    """Another allocator holds the shard now: stop using this subscription."""


Item = tuple[Delivery, Command, Principal]


@dataclass(frozen=True, slots=True)
class BatchSettings:
    max_size: int = 64
    linger_seconds: float = 0.0
    ack_linger_seconds: float = 0.0
    retry_initial_seconds: float = 0.2
    retry_max_seconds: float = 5.0


def _command_id_of(message: Delivery) -> UUID:
    """The id to answer under when the body could not be decoded: a body too large to accept is not read."""
    for candidate in (message.correlation_id, message.message_id):
        try:
            return UUID(str(candidate))
        except ValueError:
            continue
    if len(message.body) > MAX_COMMAND_BYTES:
        return NIL
    try:
        return UUID(str(loads(message.body).get("commandId")))
    except (DecodeError, AttributeError, ValueError):
        return NIL


def _type_label(message: Delivery, command: Command | None) -> str:
    """The command type for metrics: decoded, else the message's ``type`` if it names a known one."""
    if command is not None:
        return command.type
    return message.type if message.type is not None and message.type in COMMAND_BY_TYPE else "unknown"


@contextlib.contextmanager
def _about(command: Command) -> Iterator[None]:
    """Log lines in the block carry the command's id and correlation id."""
    with log_context.bound(command_id=command.command_id, correlation_id=command.correlation_id):
        yield


class ShardConsumer:
    def __init__(
        self,
        processor: ShardProcessor,
        topology: Topology,
        settings: BatchSettings,
        broker_users: dict[str, BrokerUser],
        public_base_url: str | None = None,
    ) -> None:
        """``broker_users``: the role table of broker logins, which decides who may send what; ``public_base_url``:
        where a kiosk's patients open their status link."""
        self.processor = processor
        self.public_base_url = public_base_url
        self.broker_users = broker_users
        self.topology = topology
        self.settings = settings
        self.shard = processor.shard
        self.queue_name = topology.shard_queue(self.shard)
        self._buffer: asyncio.Queue[Delivery] | None = None
        self._replies: Underlay  # opened with each subscription
        self._acks = LingeringAcks(settings.ack_linger_seconds, settings.max_size // 2, f"shard {self.shard} commands")
        self._received_at: dict[int, float] = {}  # delivery tag → monotonic time of receipt, on the current channel

    @property
    def buffered(self) -> int:
        """Messages received on the current subscription and not yet taken into a batch."""
        return self._buffer.qsize() if self._buffer is not None else 0

    async def run(self, connection: AbstractConnection, stop: asyncio.Event) -> None:
        """Serve the shard until ``stop``; after losing the lease, drop everything held and subscribe afresh."""
        while not stop.is_set():
            try:
                await self._serve(connection, stop)
            except LeaseLost:
                await sleep_unless(stop, RESUBSCRIBE_SECONDS)

    async def _serve(self, connection: AbstractConnection, stop: asyncio.Event) -> None:
        """One subscription: its channels, consumer and lingering acks, all closed however it ends (its setup
        failing midway too, on a connection that stays open)."""
        self._acks.forget()  # deliveries of an earlier channel are not this one's to ack
        channel: AbstractChannel | None = None
        replies: AbstractChannel | None = None
        acks: asyncio.Task[None] | None = None
        try:
            try:
                channel = await connection.channel(publisher_confirms=True)  # dead letters must not be lost
                # Replies go out unconfirmed: direct reply-to is transient anyway, and waiting for a confirm per
                # reply would hold the next batch back by a broker round trip per command.
                replies = await connection.channel(publisher_confirms=False)
                self._replies = await underlay_of(replies)
            except RuntimeError as exc:  # the connection closed meanwhile: the caller reconnects
                raise ConnectionError(f"shard {self.shard}: {exc}") from exc
            await channel.set_qos(prefetch_count=self.settings.max_size)
            buffer: asyncio.Queue[Delivery] = asyncio.Queue()
            self._buffer = buffer
            self._received_at.clear()

            def receive(message: Delivery) -> None:
                self._received_at[message.delivery_tag or 0] = time.monotonic()
                buffer.put_nowait(message)  # unbounded: the prefetch bounds it

            await consume(channel, self.queue_name, receive)
            acks = asyncio.create_task(self._acks.run())
            while not stop.is_set():
                if channel.is_closed:
                    raise ConnectionError(f"shard {self.shard}: channel closed")
                batch = await next_batch(buffer, self.settings.max_size, self.settings.linger_seconds, stop)
                if batch:
                    await self._handle(channel, batch, stop)
        finally:
            self._buffer = None
            if acks is not None:
                acks.cancel()
            if replies is not None and not replies.is_closed:
                await replies.close()
            if channel is not None and not channel.is_closed:
                await self._acks.flush()  # committed: under this lease, whatever ended the subscription
                await channel.close()  # whatever is still held goes back to the queue

    async def _handle(self, channel: AbstractChannel, batch: list[Delivery], stop: asyncio.Event) -> None:
        metrics.BATCH_SIZE.observe(len(batch))
        items: list[Item] = []
        for message in batch:
            if message.reply_to and not message.reply_to.startswith(REPLY_TO):
                reason = f"reply_to must be the direct reply-to pseudo-queue ({REPLY_TO}), not {message.reply_to!r}"
                await self._refuse(channel, message, ErrorCode.INVALID_REPLY_TO, reason, answer=False)
                continue
            if len(message.body) > MAX_COMMAND_BYTES:
                reason = f"the command is {len(message.body)} bytes; at most {MAX_COMMAND_BYTES} are accepted"
                await self._refuse(channel, message, ErrorCode.COMMAND_TOO_LARGE, reason, keep_body=False)
                continue
            try:
                command = decode_command(message.body)
            except DecodeError as exc:
                await self._refuse(channel, message, ErrorCode(exc.code), str(exc), details={"errors": exc.errors})
                continue
            if not message.reply_to and not isinstance(command, Tick):
                # Not recorded as the command's outcome: resent with a reply_to, the same command id is served.
                reason = "no reply_to: a command must say where its answer goes (e.g. amq.rabbitmq.reply-to)"
                await self._refuse(channel, message, ErrorCode.MISSING_REPLY_TO, reason, command=command, record=False)
                continue
            try:
                principal = principal_of(message.user_id, command, self.broker_users)
                authorize(principal, command)
            except Unauthorized as refusal:
                # Not recorded: the command id stays free for its rightful sender.
                await self._refuse(channel, message, ErrorCode.FORBIDDEN, str(refusal), command=command, record=False)
                continue
            owner = command.shard(self.topology.shard_count)
            if owner != self.shard:
                reason = f"this command belongs to shard {owner}, not {self.shard}"
                details: dict[str, object] = {"shard": owner}
                await self._refuse(
                    channel, message, ErrorCode.INVALID_COMMAND, reason, details=details, command=command,
                    principal=principal,
                )  # fmt: skip
                continue
            items.append((message, command, principal))
        await self._commit(channel, items, stop)

    async def _commit(self, channel: AbstractChannel, items: list[Item], stop: asyncio.Event) -> None:
        """Commit, answer and ack the batch (``shared.batch_commit``): a command that breaks its handler or that
        the database refuses alone is dead-lettered; losing the lease gives everything held back."""
        commit: BatchCommit[Item, list[Reply]] = BatchCommit(
            what=f"shard {self.shard}",
            commit=self._process,
            committed=self._answer,
            refuse=lambda item, exc: self._refuse_failed(channel, item, exc),
            message_of=lambda item: item[0],
            acks=self._acks,
            transient=lambda exc: isinstance(exc, TransientError),
            backoff=Backoff(self.settings.retry_initial_seconds, self.settings.retry_max_seconds),
            passes=(LeaseLost,),
        )
        await commit(items, stop)

    async def _process(self, items: list[Item]) -> list[Reply]:
        try:
            return await self.processor.process(
                [command for _, command, _ in items], [principal for _, _, principal in items]
            )
        except Fenced as fenced:
            log.warning("shard %d: %s; giving back %d message(s) and resubscribing", self.shard, fenced, len(items))
            raise LeaseLost from fenced

    async def _answer(self, items: list[Item], replies: list[Reply]) -> None:
        for (message, command, principal), reply in zip(items, replies, strict=True):
            with _about(command):
                self._answered(message, command, "ok" if reply.ok else "refused")
                await send_reply(self._replies, message, self._with_cancel_code(reply, principal))
                log.debug("shard %d: %s answered: %s", self.shard, command.type, _outcome(reply))

    async def _refuse_failed(self, channel: AbstractChannel, item: Item, exc: Exception) -> None:
        """Dead-letter a command that broke its handler, or that the database refused on its own."""
        message, command, principal = item
        if isinstance(exc, Culprit):
            with _about(command):
                log.error("shard %d: %s broke its handler: %r", self.shard, command.type, exc.cause)
            reason = f"handler failed: {exc.cause!r}"
        else:
            reason = f"failed on its own: {exc}"  # the database refused it, or its loading or answer broke
        await self._refuse(channel, message, ErrorCode.INTERNAL_ERROR, reason, command=command, principal=principal)

    async def _refuse(
        self,
        channel: AbstractChannel,
        message: Delivery,
        code: ErrorCode,
        reason: str,
        *,
        details: dict[str, object] | None = None,
        command: Command | None = None,
        principal: Principal | None = None,
        record: bool = True,
        answer: bool = True,
        keep_body: bool = True,
    ) -> None:
        """Dead-letter the message with the reason; record the failed outcome when the command is known.

        ``record=False`` leaves the command id unrecorded; ``answer=False`` sends no error reply (to a reply_to
        that is not the sender's own); ``keep_body=False`` parks the message without its body.
        """
        command_id = command.command_id if command is not None else _command_id_of(message)
        correlation_id = command.correlation_id if command is not None else None
        with log_context.bound(command_id=command_id, correlation_id=correlation_id):
            log.warning("shard %d: dead-lettering message %s: %s", self.shard, message.message_id, reason)
            error = ErrorInfo(code=code, message=reason, details=details or {})
            reply = Reply(command_id=command_id, ok=False, error=error)
            if command is not None and record:
                try:
                    reply = await self.processor.record_failure(command, reply, principal)
                    if principal is not None:  # an outcome it had already may be a booking: as a repeat gets it
                        reply = self._with_cancel_code(reply, principal)
                except Fenced as fenced:  # not ours to park or answer: it goes back to the lease's holder
                    log.warning("shard %d: %s; giving the message back and resubscribing", self.shard, fenced)
                    raise LeaseLost from fenced
                except Exception as exc:  # the message is parked either way; the outcome is just not queryable
                    log.error("shard %d: could not record the failure of %s: %r", self.shard, command_id, exc)
            self._answered(message, command, "dead_lettered")
            if answer:
                await send_reply(self._replies, message, reply)
            try:
                await dead_letter(
                    channel,
                    self.topology.dead_letter_exchange,
                    DLQ_COMMANDS_KEY,
                    message,
                    reason,
                    self.queue_name,
                    code,
                    keep_body,
                )
            except Exception as exc:
                if not broker_failed(exc):
                    raise
                log.error("shard %d: could not dead-letter %s: %r", self.shard, message.message_id, exc)
                await settle(message.nack(requeue=True), f"command {message.message_id}")

    def _with_cancel_code(self, reply: Reply, principal: Principal) -> Reply:
        """A kiosk's new token comes with the patient's cancel code and status link, as a REST booking does."""
        secret = self.processor.cancel_secret
        token = reply.result.get("token") if reply.ok and reply.result else None
        if secret is None or not isinstance(token, dict) or not principal.issuer.startswith("amqp:"):
            return reply
        token_id = UUID(str(token["id"]))
        page = StatusLinks(secret, self.public_base_url).url(token_id, date.fromisoformat(str(token["date"])))
        added = {"cancelCode": cancel_code(secret, token_id), "statusPage": page}
        return reply.model_copy(update={"result": {**(reply.result or {}), **added}})

    def _answered(self, message: Delivery, command: Command | None, outcome: str) -> None:
        """Count the outcome as its reply leaves; time it from the message's receipt."""
        kind = _type_label(message, command)
        received = self._received_at.pop(message.delivery_tag or 0, None)
        if received is not None:
            metrics.COMMAND_SECONDS.labels(type=kind).observe(time.monotonic() - received)
        metrics.COMMANDS.labels(type=kind, outcome=outcome).inc()


def _outcome(reply: Reply) -> str:
    """For logs: ok, or the refusal's code (messages may quote names; codes never do)."""
    return "ok" if reply.ok else f"refused ({reply.error.code if reply.error else 'no error'})"
