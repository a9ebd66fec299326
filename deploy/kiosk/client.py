"""A registration kiosk's client: publish commands straight to RabbitMQ and await the allocator's answer.

Kiosk software embeds ``Kiosk``; ``opd kiosk`` wraps it for a terminal. The kiosk needs no rights beyond
publishing to the commands exchange: it declares nothing and reads only its own replies (direct reply-to).
Every call takes an optional ``command_id``: after a timeout, calling again with the same id is safe, because
the allocator applies a command id once and answers a repeat with the first outcome.
"""

from datetime import UTC, date, datetime
from types import TracebackType
from typing import Any
from uuid import UUID, uuid4

from pydantic import BaseModel

from shared.command_bus import BrokerUnavailable, CommandBus
from shared.contracts.commands import (
    AddEmergency,
    AddEmergencyPayload,
    AnyCommand,
    BookToken,
    BookTokenPayload,
    CancelToken,
    CancelTokenPayload,
)
from shared.contracts.replies import ErrorInfo
from shared.contracts.values import TimeRange, TokenSource
from shared.topology import Topology


class KioskError(Exception):
    """The command did not produce a token; ``str()`` is meant for the person at the kiosk."""


class RetrySafely(KioskError):
    """The outcome is unknown (no answer in time, or the broker unreachable): retry with ``command_id``."""

    def __init__(self, what: str, command_id: UUID) -> None:
        super().__init__(f"{what}; retry with the same command id {command_id} (it is applied at most once)")
        self.command_id = command_id


class Refused(KioskError):
    """The allocator refused the command (no seat, duplicate, unknown doctor, ...); ``error`` says why."""

    def __init__(self, error: ErrorInfo) -> None:
        super().__init__(f"{error.code}: {error.message}")
        self.error = error


class Kiosk:
    """One kiosk's connection to the broker. ``async with Kiosk(...) as kiosk: await kiosk.book(...)``."""

    def __init__(
        self,
        amqp_url: str,
        prefix: str = "opd",
        shard_count: int = 4,
        name: str = "kiosk",
        timeout: float = 10.0,
    ) -> None:
        self.name = name
        self.timeout = timeout
        self._bus = CommandBus(amqp_url, Topology(prefix, shard_count), name, declare_topology=False)

    async def __aenter__(self) -> "Kiosk":
        await self._bus.ensure_connected()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.close()

    async def close(self) -> None:
        await self._bus.close()

    async def book(
        self,
        doctor_id: UUID,
        patient_name: str,
        patient_age: int,
        *,
        source: TokenSource = TokenSource.WALKIN,
        phone: str | None = None,
        language: str | None = None,
        time_slot: TimeRange | None = None,
        day: date | None = None,
        command_id: UUID | None = None,
    ) -> dict[str, Any]:
        """A token (confirmed or waitlisted): ``{"token": ..., "doctor": ...}`` as in the AMQP contract."""
        payload = BookTokenPayload(
            doctor_id=doctor_id,
            patient_name=patient_name,
            patient_age=patient_age,
            source=source,
            phone=phone,
            language=language,
            time_slot=time_slot,
            date=day,
        )
        return await self._send(BookToken, payload, command_id)

    async def emergency(
        self,
        doctor_id: UUID,
        patient_name: str,
        patient_age: int,
        *,
        phone: str | None = None,
        language: str | None = None,
        command_id: UUID | None = None,
    ) -> dict[str, Any]:
        """An emergency token in the current slot (reserved seat, else the one overflow seat, else later)."""
        payload = AddEmergencyPayload(
            doctor_id=doctor_id, patient_name=patient_name, patient_age=patient_age, phone=phone, language=language
        )
        return await self._send(AddEmergency, payload, command_id)

    async def cancel(
        self,
        doctor_id: UUID,
        token: str,
        reason: str | None = None,
        command_id: UUID | None = None,
        cancel_code: str | None = None,
    ) -> dict[str, Any]:
        """Cancel a token by its id or token number; the freed seat goes to the best waiting patient.

        A kiosk login (the booking role) needs the patient's ``cancel_code``, printed on their slip.
        """
        payload = CancelTokenPayload(doctor_id=doctor_id, token_id=token, reason=reason, cancel_code=cancel_code)
        return await self._send(CancelToken, payload, command_id)

    async def _send(self, kind: type[AnyCommand], payload: BaseModel, command_id: UUID | None) -> dict[str, Any]:
        command = kind(
            command_id=command_id or uuid4(),
            issued_at=datetime.now(UTC),
            source=self.name,
            payload=payload,
        )
        try:
            reply = await self._bus.request(command, self.timeout)
        except BrokerUnavailable as exc:
            raise RetrySafely(f"the queue is unreachable ({exc})", command.command_id) from exc
        if reply is None:
            raise RetrySafely(f"no answer within {self.timeout:g}s; it may still be served", command.command_id)
        if reply.error is not None:
            raise Refused(reply.error)
        return reply.result or {}
