"""Deterministic identifiers that several services must compute alike."""

from datetime import date, time
from uuid import NAMESPACE_URL, UUID, uuid5

_SLOT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:opd:slot")
_IDEMPOTENCY_NAMESPACE = uuid5(NAMESPACE_URL, "urn:opd:idempotency-key")
_DOCTOR_NAMESPACE = uuid5(NAMESPACE_URL, "urn:opd:doctor")
_WEEKLY_SLOT_NAMESPACE = uuid5(NAMESPACE_URL, "urn:opd:weekly-slot")


def slot_id(doctor_id: UUID, day: date, start: time) -> UUID:
    """A dated slot's id, known before the allocator materializes it (schedules show it either way)."""
    return uuid5(_SLOT_NAMESPACE, f"{doctor_id}/{day.isoformat()}/{start:%H:%M}")


def weekly_slot_id(doctor_id: UUID, start: str) -> UUID:
    """A weekly slot's id: one per doctor and start time (``HH:MM``), as the templates are keyed."""
    return uuid5(_WEEKLY_SLOT_NAMESPACE, f"{doctor_id}/{start}")


def hall_number(token_number: str) -> str:
    """What the waiting hall calls a token: the doctor's code and the short number, ``D3-T007`` for
    ``D3-20261125-T007``. Every doctor's queue starts at T001, so the short number alone is ambiguous in a hall."""
    parts = token_number.split("-")
    return f"{parts[0]}-{parts[-1]}"


def command_id_for_key(issuer: str, request: str, idempotency_key: str, part: str = "") -> UUID:
    """The command id of ``request`` (method and path) carrying an ``Idempotency-Key`` (``part`` tells apart the
    commands of one request): a retry maps to the same command, and two callers never share one."""
    return uuid5(_IDEMPOTENCY_NAMESPACE, f"{issuer}\n{request}\n{idempotency_key}\n{part}")


def doctor_id_for_key(issuer: str, idempotency_key: str) -> UUID:
    """The id of a doctor created by a request with an ``Idempotency-Key``: a retry creates no second doctor."""
    return uuid5(_DOCTOR_NAMESPACE, f"{issuer}\n{idempotency_key}")
