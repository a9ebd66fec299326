"""A shard's unit of work: one atomic write per batch of commands — inbox, state and outbox, epoch checked.

The processor decides with the state it keeps between batches (it is the shard's single writer), reads what it
lacks through the ``StateStore`` port and hands the batch's whole write to the ``MessageStore`` port at once.
"""

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from uuid import UUID, uuid4

from allocator.domain.alternatives import suggest_doctors
from allocator.domain.context import CommandContext
from allocator.domain.day import Day
from allocator.domain.days_needed import BookedFrom, OfToken, OnDates
from allocator.domain.handlers import days_needed, handle
from allocator.domain.handlers.housekeeping import run_clock
from allocator.domain.model import Doctor
from allocator.domain.outcome import AlternativesWanted, NoSeat
from allocator.domain.policy import Policy
from allocator.domain.workspace import Workspace
from allocator.service.colleagues import ColleagueSeats
from allocator.service.ports import BatchWrite, EventOutlet, Fenced, InboxRow, MessageStore, StateStore, StoredReply
from allocator.service.recent_outcomes import RecentOutcomes
from allocator.service.token_rights import check_token_rights
from shared.authority import Principal
from shared.clock import Clock
from shared.codec import encode
from shared.contracts.caller import Role
from shared.contracts.commands import (
    AnyCommand,
    Command,
    CreateDoctor,
    Tick,
)
from shared.contracts.events import AnyEvent
from shared.contracts.replies import ErrorInfo, Reply
from shared.errors import Culprit, ErrorCode, Rejection, TransientError
from shared.routing import shard_for

log = logging.getLogger(__name__)

INTERNAL = Principal("internal", Role.SYSTEM)
"""The principal of commands handed to the processor in-process, by the allocator's own code and tests."""


class PoisonCommand(Culprit):
    """The command at ``index`` broke its handler: it cannot succeed, however often it is retried."""


class BatchConflict(Exception):
    """The batch failed for a reason retrying will not cure (a constraint, a bug): split it to find the culprit."""


def payload_hash(command: AnyCommand) -> str:
    return hashlib.sha256(command.type.encode() + b"\0" + encode(command.payload)).hexdigest()


class ShardProcessor:
    """Applies batches of one shard's commands while holding the shard's lease."""

    def __init__(
        self,
        state: StateStore,
        messages: MessageStore,
        shard: int,
        holder: str,
        policy: Policy,
        clock: Clock,
        shard_count: int,
        outlet: EventOutlet | None = None,
        new_id: Callable[[], UUID] = uuid4,
        cancel_secret: bytes | None = None,
    ) -> None:
        """``outlet``: the relay that publishes committed events from memory (without one, they stay in the outbox
        until a relay sweeps it: at its start or a lease change); ``cancel_secret``: checks the cancel codes of
        callers below staff (without it, they cannot cancel)."""
        self.state = state
        self.messages = messages
        self.outlet = outlet
        self.cancel_secret = cancel_secret
        self.shard = shard
        self.shard_count = shard_count
        self.holder = holder
        self.policy = policy
        self.clock = clock
        self.new_id = new_id
        self.epoch: int | None = None
        # The shard's state as committed, kept between batches while this process holds the lease: the
        # single writer needs not read back what it wrote. Dropped whenever a batch fails or the lease changes.
        self.doctors: dict[UUID, Doctor] = {}
        self.days: dict[tuple[UUID, date], Day] = {}
        self.colleague_seats = ColleagueSeats(state, self.days)
        # Outcomes recorded lately, kept across failures and lease changes: a recorded outcome never changes.
        self.recent = RecentOutcomes()

    async def process(self, commands: Sequence[Command], principals: Sequence[Principal] | None = None) -> list[Reply]:
        """Commit the batch and return one reply per command, in order. Nothing is written on any error.

        ``principals[i]`` is who sent ``commands[i]`` (authorized already): outcomes are recorded under it.
        """
        sent_by = principals if principals is not None else [INTERNAL] * len(commands)
        try:
            epoch = await self._lease()
            known = self.recent.of(commands)
            while True:
                write, replies = await self._decide(commands, sent_by, epoch, known)
                if all(command.command_id in known for command in commands):
                    return replies  # repeats of recorded outcomes alone: final, whoever holds the lease now
                found = await self._commit(write)
                if not found:
                    break
                # Some commands were decided before (a redelivery): decide the batch again with their outcomes.
                self.forget()
                known.update(found)
                self.recent.remember(found.items())
            self.recent.remember((row.command.command_id, row.stored) for row in write.inbox)
            if self.outlet is not None:
                self.outlet.committed(write.outbox)
            return replies
        except BaseException as exc:
            self.forget()  # the kept state may hold what was never committed
            if isinstance(exc, Fenced):
                self.epoch = None
                raise
            if isinstance(exc, PoisonCommand) or not isinstance(exc, Exception):
                raise
            if self.state.unavailable(exc) or self.messages.unavailable(exc):
                raise TransientError(f"database unavailable: {exc!r}") from exc
            raise BatchConflict(repr(exc)) from exc

    def forget(self) -> None:
        """Drop the kept state: the next batches load what they touch from the database again."""
        self.doctors.clear()
        self.days.clear()
        self.colleague_seats.forget()

    async def record_failure(self, command: AnyCommand, reply: Reply, principal: Principal | None) -> Reply:
        """Store the outcome of a command that is being dead-lettered: its status and retries answer the same, the
        retries from memory while it is recent, not by running its handler again. Returns this sender's answer:
        the outcome recorded for the command (this failure, or one it had already), checked as any repeat's."""
        digest = payload_hash(command)
        issuer = principal.issuer if principal is not None else None
        try:
            epoch = await self._lease()
            stored = await self.messages.record_failure(self.shard, epoch, InboxRow(command, digest, reply, issuer))
        except Fenced:
            self.epoch = None
            raise
        self.recent.remember([(command.command_id, stored)])
        return _answer_from(stored, command, digest, issuer)

    async def _lease(self) -> int:
        """The epoch this process holds the shard under; taken (and the kept state dropped) if it holds none."""
        if self.epoch is None:
            self.forget()
            self.epoch = await self.messages.acquire_lease(self.shard, self.holder)
            log.info("shard %d: lease taken, epoch %d", self.shard, self.epoch)
            if self.outlet is not None:
                self.outlet.sweep_first()
        return self.epoch

    async def _commit(self, write: BatchWrite) -> dict[UUID, StoredReply]:
        """Write the batch, marking the events confirmed since the last one; what it found decided already."""
        write.published = self.outlet.take_confirmed() if self.outlet is not None else []
        try:
            found = await self.messages.commit(write)
        except BaseException as exc:
            if self.outlet is not None:
                self.outlet.give_back(write.published)
                if not isinstance(exc, Fenced):
                    # The call may have committed with its answer lost (a dropped connection, a cancellation):
                    # its events are then in the outbox only, and must leave before anything committed later.
                    self.outlet.sweep_first()
            raise
        if found and self.outlet is not None:
            self.outlet.give_back(write.published)
        return found

    async def _decide(
        self, commands: Sequence[Command], principals: Sequence[Principal], epoch: int, known: dict[UUID, StoredReply]
    ) -> tuple[BatchWrite, list[Reply]]:
        """Each command's reply, and the batch's write; ``known`` holds outcomes recorded before."""
        known = dict(known)
        ws = Workspace(self.policy, self.new_id, self.doctors, self.days)
        absent: set[UUID] = set()
        write = BatchWrite(self.shard, epoch, ws.changes)
        replies: list[Reply] = []
        for index, (command, principal) in enumerate(zip(commands, principals, strict=True)):
            if isinstance(command, Tick):
                replies.append(await self._run_clock(ws, command, write.outbox))
                continue
            digest = payload_hash(command)
            prior = known.get(command.command_id)
            if prior is not None:
                replies.append(_answer_from(prior, command, digest, principal.issuer))
                continue
            now = self.clock.now()
            await self._load(ws, absent, command, now)
            code = await self.state.reserve_doctor_code() if isinstance(command, CreateDoctor) else None
            ctx = CommandContext(now=now, command_id=command.command_id, doctor_code=code)
            wanted: AlternativesWanted | None = None
            try:
                check_token_rights(ws, command, principal, self.cancel_secret)
                outcome = handle(ws, command, ctx)
                reply = Reply(command_id=command.command_id, ok=True, result=dict(outcome.body))
                wanted = outcome.alternatives
            except NoSeat as refusal:
                reply, wanted = _refused(command, refusal), refusal.alternatives
            except Rejection as rejection:
                reply = _refused(command, rejection)
            except Exception as exc:
                raise PoisonCommand(index, exc) from exc
            reply = await self._with_alternatives(ws, wanted, reply, now)
            try:
                write.outbox.extend(self._seal_events(ws, command, now))
            except Exception as exc:  # a draft its event refuses: the command's own fault, as a handler's bug
                raise PoisonCommand(index, exc) from exc
            row = InboxRow(command, digest, reply, principal.issuer)
            write.inbox.append(row)
            known[command.command_id] = row.stored
            replies.append(reply)
        return write, replies

    async def _run_clock(self, ws: Workspace, tick: Tick, events: list[AnyEvent]) -> Reply:
        """The clock's turn on today's days of this shard's doctors. Leaves no inbox row: ticks are frequent
        and repeating one is harmless."""
        now = self.clock.now()
        today = ws.today(now)
        for key in [key for key in ws.days if key[1] < today]:
            del ws.days[key]  # past days are done with; tomorrow's are loaded when touched
        for doctor_id in await self.state.doctors_with_day(today):
            if shard_for(doctor_id, self.shard_count) != self.shard:
                continue
            doctor = ws.doctors.get(doctor_id) or await self.state.load_doctor(doctor_id)
            if doctor is None:
                continue
            ws.doctors[doctor_id] = doctor
            if (doctor_id, today) not in ws.days:
                ws.days[(doctor_id, today)] = await self.state.load_day(doctor, today)
            run_clock(ws, ws.days[(doctor_id, today)], now, reason="the day moved on")
        produced = self._seal_events(ws, tick, now)
        events.extend(produced)
        return Reply(command_id=tick.command_id, ok=True, result={"shard": self.shard, "events": len(produced)})

    async def _load(self, ws: Workspace, absent: set[UUID], command: AnyCommand, now: datetime) -> None:
        """Bring the doctor and the day the command touches into the workspace, once per batch."""
        doctor_id = command.doctor_id
        if doctor_id not in ws.doctors and doctor_id not in absent:
            doctor = await self.state.load_doctor(doctor_id)
            if doctor is None:
                absent.add(doctor_id)
                return
            ws.doctors[doctor_id] = doctor
        doctor = ws.doctors.get(doctor_id)
        if doctor is None:
            return
        for day in await self._dates(ws, command, now):
            if (doctor_id, day) not in ws.days:
                ws.days[(doctor_id, day)] = await self.state.load_day(doctor, day)

    async def _dates(self, ws: Workspace, command: AnyCommand, now: datetime) -> list[date]:
        """The doctor's days the command reads or changes, as its registry entry declares them."""
        match days_needed(command, ws.today(now)):
            case OnDates(dates):
                return list(dates)
            case BookedFrom(first):
                return await self.state.materialized_dates(command.doctor_id, first)
            case OfToken(ref) if ws.find_token(command.doctor_id, ref) is None:
                found = await self.state.locate_token(command.doctor_id, ref)
                return [found] if found else []
            case _:
                return []

    async def _with_alternatives(
        self,
        ws: Workspace,
        wanted: AlternativesWanted | None,
        reply: Reply,
        now: datetime,
    ) -> Reply:
        """Add ``suggestedDoctors`` where the decision asked for them (full, waitlisted, displaced)."""
        if wanted is None:
            return reply
        colleagues, seats = await self.colleague_seats.of(ws.doctors[wanted.doctor_id], wanted.day)
        suggested = suggest_doctors(self.policy, colleagues, seats, wanted.day, wanted.source, now)
        if reply.error is None:
            return reply.model_copy(update={"result": {**(reply.result or {}), "suggestedDoctors": suggested}})
        error = reply.error.model_copy(update={"details": {**reply.error.details, "suggestedDoctors": suggested}})
        return reply.model_copy(update={"error": error})

    def _seal_events(self, ws: Workspace, command: AnyCommand | None, now: datetime) -> list[AnyEvent]:
        """Give the command's events ids and the next per-doctor sequence numbers."""
        sealed = []
        for draft in ws.changes.events:
            doctor = ws.doctors[draft.doctor_id]
            doctor.event_sequence += 1
            ws.touch_doctor(doctor)
            sealed.append(
                draft.kind(
                    event_id=self.new_id(),
                    occurred_at=now,
                    doctor_id=draft.doctor_id,
                    sequence=doctor.event_sequence,
                    causation_id=command.command_id if command else None,
                    correlation_id=command.correlation_id if command else None,
                    payload=draft.payload,
                )
            )
        ws.changes.events.clear()
        return sealed


def _answer_from(prior: StoredReply, command: AnyCommand, digest: str, issuer: str | None) -> Reply:
    """The answer to a command with an outcome recorded: that outcome, for its own sender and the same request."""
    if prior.issuer is not None and prior.issuer != issuer:
        return _not_yours(command)
    return prior.reply if prior.payload_hash == digest else _key_reused(command)


def _refused(command: AnyCommand, rejection: Rejection) -> Reply:
    """The reply to a command the domain or the token's rights refused."""
    error = ErrorInfo(code=rejection.code, message=rejection.message, details=rejection.details)
    return Reply(command_id=command.command_id, ok=False, error=error)


def _not_yours(command: AnyCommand) -> Reply:
    """A command id another caller used first: its outcome is not this caller's to see."""
    return Reply(
        command_id=command.command_id,
        ok=False,
        error=ErrorInfo(code=ErrorCode.COMMAND_NOT_YOURS, message="this command id was already used by another caller"),
    )


def _key_reused(command: AnyCommand) -> Reply:
    return Reply(
        command_id=command.command_id,
        ok=False,
        error=ErrorInfo(
            code=ErrorCode.IDEMPOTENCY_KEY_REUSED,
            message="this command id (Idempotency-Key) was already used for a different request",
        ),
    )
