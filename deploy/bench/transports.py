"""The two ways a client reaches the allocator: REST through the gateway, or AMQP commands straight to the shards.

Each request carries a command id the client knows in advance (AMQP: its own; REST: derived from the
``Idempotency-Key`` it sends), so that a run can be checked for lost and doubled commands afterwards.
"""

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

import aiohttp

from shared.command_bus import BrokerUnavailable, CommandBus
from shared.contracts.commands import (
    AddEmergency,
    AddEmergencyPayload,
    AnyCommand,
    BookToken,
    BookTokenPayload,
    CancelToken,
    CancelTokenPayload,
    CreateDoctor,
    CreateDoctorPayload,
)
from shared.contracts.replies import Reply
from shared.contracts.values import TokenSource
from shared.ids import command_id_for_key

UNANSWERED = "UNANSWERED"  # accepted, but no answer in time (AMQP reply timeout, REST 202)
UNAVAILABLE = "UNAVAILABLE"  # refused before anything was queued (broker down, 503)
CLIENT_ERROR = "CLIENT_ERROR"  # the request itself failed (connection reset, client timeout)

DEVELOPMENT_ISSUER = "api:development-mode"  # a key-less caller of a development-mode gateway, as the bench runs it


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one request came to. ``code`` is the refusal or failure; ``accepted`` means the command was queued."""

    command_id: UUID
    ok: bool
    accepted: bool
    code: str | None = None
    token_id: str | None = None
    status: str | None = None

    @property
    def failed(self) -> bool:
        """No decision reached the client (as opposed to a business refusal such as a full slot)."""
        return self.code in (UNANSWERED, UNAVAILABLE, CLIENT_ERROR) or (self.code or "").startswith("HTTP_")


@dataclass(frozen=True, slots=True)
class Patient:
    name: str
    age: int
    source: str = "walkin"


class Transport(Protocol):
    """Sends the benchmark's commands; each outcome names the command id the allocator records."""

    async def create_doctor(self, body: dict[str, Any]) -> str: ...

    async def book(self, doctor_id: str, patient: Patient, day: date) -> Outcome: ...

    async def emergency(self, doctor_id: str, patient: Patient, day: date) -> Outcome: ...

    async def cancel(self, doctor_id: str, token_id: str) -> Outcome: ...

    async def close(self) -> None: ...


def _token_outcome(reply: Reply) -> Outcome:
    if not reply.ok:
        assert reply.error is not None
        return Outcome(reply.command_id, ok=False, accepted=True, code=reply.error.code)
    token = (reply.result or {}).get("token") or {}
    return Outcome(reply.command_id, ok=True, accepted=True, token_id=token.get("id"), status=token.get("status"))


class AmqpTransport:
    """Commands over RabbitMQ with direct reply-to. A kiosk's retry discipline: when the broker refuses or the
    reply does not come, send the same command id again (the allocator answers a repeat with the stored reply)
    until ``give_up_seconds``."""

    def __init__(self, bus: CommandBus, reply_timeout: float = 10.0, give_up_seconds: float = 0.0) -> None:
        self.bus = bus
        self.reply_timeout = reply_timeout
        self.give_up_seconds = give_up_seconds

    async def _send(self, command: AnyCommand) -> tuple[Reply | None, bool]:
        """The reply (None if none came) and whether the broker accepted the command at least once."""
        deadline = time.monotonic() + self.give_up_seconds
        accepted = False
        while True:
            try:
                reply = await self.bus.request(command, self.reply_timeout)
                accepted = True
            except BrokerUnavailable:
                reply = None
            if reply is not None or time.monotonic() >= deadline:
                return reply, accepted
            await asyncio.sleep(0.2)

    async def _token_command(self, command: AnyCommand) -> Outcome:
        reply, accepted = await self._send(command)
        if reply is None:
            return Outcome(
                command.command_id, ok=False, accepted=accepted, code=UNANSWERED if accepted else UNAVAILABLE
            )
        return _token_outcome(reply)

    async def create_doctor(self, body: dict[str, Any]) -> str:
        doctor_id = uuid4()
        payload = CreateDoctorPayload.model_validate({**body, "doctorId": str(doctor_id)})
        reply, _ = await self._send(_command(CreateDoctor, uuid4(), payload))
        if reply is None or not reply.ok:
            raise RuntimeError(f"could not create a doctor: {reply}")
        return str(doctor_id)

    async def book(self, doctor_id: str, patient: Patient, day: date) -> Outcome:
        command_id = uuid4()
        payload = BookTokenPayload(
            doctor_id=UUID(doctor_id),
            patient_name=patient.name,
            patient_age=patient.age,
            patient_id=str(command_id),
            source=TokenSource(patient.source),
            date=day,
        )
        return await self._token_command(_command(BookToken, command_id, payload))

    async def emergency(self, doctor_id: str, patient: Patient, day: date) -> Outcome:
        command_id = uuid4()
        payload = AddEmergencyPayload(
            doctor_id=UUID(doctor_id),
            patient_name=patient.name,
            patient_age=patient.age,
            patient_id=str(command_id),
            date=day,
        )
        return await self._token_command(_command(AddEmergency, command_id, payload))

    async def cancel(self, doctor_id: str, token_id: str) -> Outcome:
        payload = CancelTokenPayload(doctor_id=UUID(doctor_id), token_id=token_id, reason="bench")
        return await self._token_command(_command(CancelToken, uuid4(), payload))

    async def close(self) -> None:
        await self.bus.close()


def _command(kind: type[AnyCommand], command_id: UUID, payload: Any) -> AnyCommand:
    return kind(command_id=command_id, issued_at=datetime.now(UTC), source="bench", payload=payload)


class RestTransport:
    """The gateway's REST API; each write carries a fresh ``Idempotency-Key``, which fixes its command id."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, issuer: str = DEVELOPMENT_ISSUER) -> None:
        """``issuer``: the gateway's name for this client (``api:<key name>``), which its command ids include."""
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.issuer = issuer

    async def create_doctor(self, body: dict[str, Any]) -> str:
        """Retried under one ``Idempotency-Key`` while the allocator is not answering yet (202)."""
        key = uuid4().hex
        for _ in range(30):
            async with self.session.post(
                self.base_url + "/api/doctors", json=body, headers={"Idempotency-Key": key}
            ) as response:
                answer = await response.json()
                if response.status == 201:
                    return str(answer["doctor"]["id"])
                if response.status not in (202, 503):
                    raise RuntimeError(f"could not create a doctor: {response.status} {answer}")
            await asyncio.sleep(1.0)
        raise RuntimeError("could not create a doctor: the allocator did not answer")

    async def book(self, doctor_id: str, patient: Patient, day: date) -> Outcome:
        return await self._patient_write("/api/tokens", doctor_id, patient, day, {"source": patient.source})

    async def emergency(self, doctor_id: str, patient: Patient, day: date) -> Outcome:
        return await self._patient_write("/api/tokens/emergency", doctor_id, patient, day, {})

    async def cancel(self, doctor_id: str, token_id: str) -> Outcome:
        path = f"/api/tokens/{token_id}/cancel"
        key = uuid4().hex
        return await self._write("PUT", path, {"reason": "bench"}, key, rest_command_id(self.issuer, "PUT", path, key))

    async def _patient_write(
        self, path: str, doctor_id: str, patient: Patient, day: date, extra: dict[str, Any]
    ) -> Outcome:
        key = uuid4().hex
        command_id = rest_command_id(self.issuer, "POST", path, key)
        body = {
            "doctorId": doctor_id,
            "patientName": patient.name,
            "patientAge": patient.age,
            "patientId": str(command_id),
            "date": day.isoformat(),
            **extra,
        }
        return await self._write("POST", path, body, key, command_id)

    async def _write(self, method: str, path: str, body: dict[str, Any], key: str, command_id: UUID) -> Outcome:
        try:
            async with self.session.request(
                method, self.base_url + path, json=body, headers={"Idempotency-Key": key}
            ) as response:
                status = response.status
                answer = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return Outcome(command_id, ok=False, accepted=False, code=CLIENT_ERROR)
        if status in (200, 201):
            token = answer.get("token") or {}
            return Outcome(command_id, ok=True, accepted=True, token_id=token.get("id"), status=token.get("status"))
        if status == 202:
            return Outcome(command_id, ok=False, accepted=True, code=UNANSWERED)
        if status == 503:
            return Outcome(command_id, ok=False, accepted=False, code=UNAVAILABLE)
        answer = answer if isinstance(answer, dict) else {}
        return Outcome(
            command_id, ok=False, accepted="commandId" in answer, code=answer.get("code") or f"HTTP_{status}"
        )

    async def close(self) -> None:
        await self.session.close()


def rest_command_id(issuer: str, method: str, path: str, key: str) -> UUID:
    """The command id the gateway derives from an ``Idempotency-Key`` for this caller (decision D35)."""
    return command_id_for_key(issuer, f"{method} {path}", key)
