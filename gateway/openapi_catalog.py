"""What the OpenAPI document says about each route: summary, parameters, body and answers.

Keyed by (method, path template). Security comes from the handler's ``@public``/``@requires`` and the long
description from its docstring, so neither is repeated here. Every route must have an entry (``openapi.py``
refuses to start without one).
"""

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from gateway import api_models as m
from gateway.dispatch import IDEMPOTENCY_HEADER
from gateway.fhir.inbound import AppointmentIn, JsonPatch
from gateway.fhir.terms import APPOINTMENT_STATUSES, MEDIA_TYPE, SLOT_STATUSES
from gateway.requests import MAX_DAYS_AWAY, MAX_OFFSET
from gateway.status_page.sms import InboundSms
from shared.cancel_codes import CODE_HEADER
from shared.contracts.commands import AddEmergencyPayload, BookTokenPayload
from shared.contracts.values import TokenStatus

Raw = tuple[str, dict[str, Any]]  # a non-JSON answer: media type and schema
Answer = type[BaseModel] | Raw
WRITE_ERRORS = (400, 404, 409, 413, 422, 503)
READ_ERRORS = (400, 404, 503)
HTML: Raw = ("text/html", {"type": "string"})


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    where: Literal["query", "header"]
    schema: dict[str, Any]
    description: str
    required: bool = False


@dataclass(frozen=True, slots=True)
class Operation:
    summary: str
    tag: str
    answers: dict[int, Answer]
    errors: tuple[int, ...] = ()
    body: tuple[type[BaseModel], ...] = ()  # one model, or alternatives
    body_required: bool = True
    params: tuple[Param, ...] = ()
    body_media: str = "application/json"


def _page(default: int, most: int) -> tuple[Param, Param]:
    return (
        Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": most, "default": default}, "page size"),
        Param("offset", "query", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET, "default": 0}, "to skip"),
    )


def _upcoming(most: int) -> Param:
    return Param("next", "query", {"type": "integer", "minimum": 0, "maximum": most, "default": 5}, "how many next")


UUID_SCHEMA = {"type": "string", "format": "uuid"}
PATH_PARAMS: dict[str, tuple[dict[str, Any], str]] = {
    "doctorId": (UUID_SCHEMA, "the doctor's id"),
    "commandId": (UUID_SCHEMA, "the command id of a 202 answer"),
    "name": ({"type": "string"}, "a file of the page, e.g. swagger-ui.css"),
    "tokenId": ({"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[^/]+$"}, "token id or tokenNumber"),
    "id": ({"type": "string", "pattern": "^[A-Za-z0-9\\-\\.]{1,64}$"}, "the FHIR resource id"),
    "code": ({"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}, "the status link's code"),
}
DATE = Param(
    "date", "query", {"type": "string", "format": "date"}, f"YYYY-MM-DD within {MAX_DAYS_AWAY} days; default today"
)
IDEMPOTENCY = Param(
    IDEMPOTENCY_HEADER, "header", {"type": "string"}, "retry-safe writes: the same key and body replay the first answer"
)
CODE = Param(CODE_HEADER, "header", {"type": "string"}, "the token's cancel code (instead of an API key)")
CODE_QUERY = Param("code", "query", {"type": "string"}, "the token's cancel code (instead of an API key)")
SPECIALIZATION = Param("specialization", "query", {"type": "string"}, "exact, case-insensitive")

ACCEPTED: dict[int, Answer] = {202: m.Accepted}


def _write(summary: str, tag: str, done: type[BaseModel], status: int = 200, **more: Any) -> Operation:
    """A write: one command for the allocator; 202 when it does not answer in time."""
    params = (IDEMPOTENCY, *more.pop("params", ()))
    return Operation(summary, tag, {status: done, **ACCEPTED}, WRITE_ERRORS, params=params, **more)


OPERATIONS: dict[tuple[str, str], Operation] = {
    ("POST", "/api/doctors"): _write("Create a doctor", "doctors", m.DoctorDone, 201, body=(m.CreateDoctorBody,)),
    ("GET", "/api/doctors"): Operation(
        "List doctors", "doctors", {200: m.DoctorPage}, (400, 503), params=(SPECIALIZATION, *_page(50, 200))
    ),
    ("GET", "/api/doctors/{doctorId}"): Operation("One doctor", "doctors", {200: m.DoctorAnswer}, READ_ERRORS),
    ("GET", "/api/doctors/{doctorId}/schedule"): Operation(
        "The day's slots with seats used and left", "doctors", {200: m.ScheduleAnswer}, READ_ERRORS, params=(DATE,)
    ),
    ("PUT", "/api/doctors/{doctorId}/slots"): _write(
        "Replace the weekly slots", "doctors", m.DoctorDone, body=(m.UpdateSlotsBody,)
    ),
    ("POST", "/api/doctors/{doctorId}/unavailability"): _write(
        "The doctor is away: cancel those slots and re-seat", "doctors", m.DayDone, body=(m.UnavailabilityBody,)
    ),
    ("POST", "/api/tokens"): _write("Book a token", "tokens", m.TokenDone, 201, body=(BookTokenPayload,)),
    ("POST", "/api/tokens/emergency"): _write(
        "Emergency token, for a doctor or a specialization",
        "tokens",
        m.TokenDone,
        201,
        body=(AddEmergencyPayload, m.EmergencyBySpecializationBody),
    ),
    ("PUT", "/api/tokens/{tokenId}/cancel"): _write(
        "Cancel a token", "tokens", m.TokenDone, body=(m.CancelBody,), body_required=False, params=(CODE,)
    ),
    ("GET", "/api/tokens/{tokenId}"): Operation(
        "One token",
        "tokens",
        {200: m.TokenAnswer},
        (400, 403, 404, 503),
        params=(CODE, CODE_QUERY),
    ),
    ("GET", "/api/tokens/doctor/{doctorId}"): Operation(
        "A doctor's tokens that day, in consultation order",
        "tokens",
        {200: m.DoctorTokensAnswer},
        READ_ERRORS,
        params=(
            DATE,
            Param("status", "query", {"type": "string", "enum": [s.value for s in TokenStatus]}, "only this status"),
            *_page(200, 500),
        ),
    ),
    ("GET", "/api/commands/{commandId}"): Operation(
        "The outcome of a command answered with 202",
        "tokens",
        {200: m.CommandOutcome, 202: m.Pending},
        (400, 404, 409, 422, 503),
    ),
    ("POST", "/api/tokens/reallocate/{doctorId}"): _write(
        "Housekeeping now: no-shows, roll-overs, releases, promotions",
        "tokens",
        m.ReallocateDone,
        body=(m.ReallocateBody,),
        body_required=False,
    ),
    ("PUT", "/api/tokens/{tokenId}/no-show"): _write("Mark a no-show", "day", m.TokenDone),
    ("PUT", "/api/tokens/{tokenId}/check-in"): _write("The patient has arrived", "day", m.TokenDone),
    ("PUT", "/api/tokens/{tokenId}/complete"): _write("The consultation is over", "day", m.TokenDone),
    ("PUT", "/api/tokens/{tokenId}/recall"): _write(
        "Called but not here, or running late",
        "day",
        m.TokenDone,
        body=(m.RecallBody,),
        body_required=False,
        params=(CODE,),
    ),
    ("POST", "/api/doctors/{doctorId}/call-next"): _write(
        "Call the next patient", "day", m.CallNextDone, body=(m.CallNextBody,), body_required=False
    ),
    ("POST", "/api/doctors/{doctorId}/delay"): _write("The doctor runs late", "day", m.DayDone, body=(m.DelayBody,)),
    ("GET", "/api/doctors/{doctorId}/queue"): Operation(
        "The live queue", "day", {200: m.QueueAnswer}, READ_ERRORS, params=(DATE, _upcoming(50))
    ),
    ("GET", "/api/events/stream"): Operation(
        "Live events (Server-Sent Events)",
        "live",
        {200: ("text/event-stream", {"type": "string"})},
        READ_ERRORS,
        params=(
            Param("doctorId", "query", {"type": "string"}, "doctor ids, comma-separated (or doctorIds)", True),
            Param("types", "query", {"type": "string"}, "event types, comma-separated; default all"),
        ),
    ),
    ("GET", "/api/doctors/{doctorId}/board"): Operation(
        "The board's public data", "live", {200: m.BoardAnswer}, READ_ERRORS, params=(DATE, _upcoming(20))
    ),
    ("GET", "/board"): Operation(
        "The waiting-room display page",
        "live",
        {200: HTML},
        READ_ERRORS,
        params=(Param("doctorIds", "query", {"type": "string"}, "doctor ids, comma-separated"), SPECIALIZATION),
    ),
    ("GET", "/t/{code}"): Operation(
        "A patient's status page (the code is the link's)", "patient", {200: HTML, 404: HTML}
    ),
    ("GET", "/t/{code}/status"): Operation(
        "A patient's status, for their page", "patient", {200: m.PatientStatusAnswer}, (404,)
    ),
    ("POST", "/t/{code}/late"): Operation(
        "The patient is running late: back a few places, once", "patient", {200: m.PatientStatusAnswer}, (404, 409, 503)
    ),
    ("POST", "/t/{code}/cancel"): Operation(
        "The patient cancels their token", "patient", {200: m.PatientStatusAnswer}, (404, 409, 503)
    ),
    ("POST", "/api/inbound/sms"): Operation(
        "A patient's SMS reply (signed X-OPD-Signature: sha256=<hex HMAC of the body>)",
        "patient",
        {200: m.SmsReply},
        (400, 401),
        body=(InboundSms,),
    ),
    ("GET", "/api/tokens/{tokenId}/notifications"): Operation(
        "Every message recorded for a token",
        "audit",
        {200: m.NotificationsAnswer},
        (400, 403, 404, 503),
        params=(CODE, CODE_QUERY),
    ),
    ("GET", "/healthz"): Operation("Liveness", "operations", {200: m.Health}),
    ("GET", "/readyz"): Operation("Readiness: database and broker", "operations", {200: m.Health, 503: m.Health}),
    ("GET", "/metrics"): Operation("Prometheus metrics", "operations", {200: ("text/plain", {"type": "string"})}),
    ("GET", "/api/openapi.json"): Operation(
        "This document", "operations", {200: ("application/json", {"type": "object"})}
    ),
    ("GET", "/api/docs"): Operation("This document as a page", "operations", {200: HTML}),
    ("GET", "/api/docs/assets/{name}"): Operation(
        "The documentation page's files", "operations", {200: ("application/octet-stream", {"type": "string"})}, (404,)
    ),
    ("GET", "/fonts/{name}"): Operation(
        "The pages' Devanagari font", "operations", {200: ("font/ttf", {"type": "string"})}, (404,)
    ),
}


def _fhir(resource_type: str) -> Raw:
    return (
        MEDIA_TYPE,
        {"type": "object", "required": ["resourceType"], "properties": {"resourceType": {"const": resource_type}}},
    )


def _fhir_search(summary: str, *params: Param) -> Operation:
    paging = (
        Param("_count", "query", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "page size"),
        Param("_offset", "query", {"type": "integer", "minimum": 0, "maximum": 100_000, "default": 0}, "to skip"),
    )
    return Operation(summary, "fhir", {200: _fhir("Bundle")}, (400, 503), params=(*params, *paging))


def _fhir_token(name: str, codes: tuple[str, ...]) -> Param:
    return Param(name, "query", {"type": "string", "enum": list(codes)}, "one status, or several comma-separated")


FHIR_DATE = Param("start", "query", {"type": "string", "format": "date"}, "a day, or prefixed ge/le/gt/lt")
FHIR_WRITE_ERRORS = (*WRITE_ERRORS, 403)
OPERATIONS |= {
    ("GET", "/fhir/metadata"): Operation("FHIR CapabilityStatement", "fhir", {200: _fhir("CapabilityStatement")}),
    ("GET", "/fhir/Practitioner"): _fhir_search(
        "FHIR: search doctors", Param("specialty", "query", {"type": "string"}, "a specialization")
    ),
    ("GET", "/fhir/Practitioner/{id}"): Operation("FHIR: a doctor", "fhir", {200: _fhir("Practitioner")}, READ_ERRORS),
    ("GET", "/fhir/Schedule/{id}"): Operation("FHIR: a doctor's week", "fhir", {200: _fhir("Schedule")}, READ_ERRORS),
    ("GET", "/fhir/Slot"): _fhir_search(
        "FHIR: search dated slots",
        Param("schedule", "query", {"type": "string"}, "Schedule/<id> (a doctor's id)"),
        FHIR_DATE,
        _fhir_token("status", SLOT_STATUSES),
    ),
    ("GET", "/fhir/Slot/{id}"): Operation("FHIR: a dated slot", "fhir", {200: _fhir("Slot")}, READ_ERRORS),
    ("GET", "/fhir/Appointment"): _fhir_search(
        "FHIR: search a doctor's tokens",
        Param("practitioner", "query", {"type": "string"}, "Practitioner/<id>", True),
        Param("date", "query", {"type": "string", "format": "date"}, "a day, or prefixed ge/le/gt/lt"),
        _fhir_token("status", APPOINTMENT_STATUSES),
    ),
    ("GET", "/fhir/Appointment/{id}"): Operation(
        "FHIR: a token", "fhir", {200: _fhir("Appointment")}, (400, 403, 404, 503), params=(CODE, CODE_QUERY)
    ),
    ("POST", "/fhir/Appointment"): Operation(
        "FHIR: book a token",
        "fhir",
        {201: _fhir("Appointment"), 202: _fhir("OperationOutcome")},
        FHIR_WRITE_ERRORS,
        body=(AppointmentIn,),
        params=(IDEMPOTENCY,),
        body_media=MEDIA_TYPE,
    ),
    ("PUT", "/fhir/Appointment/{id}"): Operation(
        "FHIR: cancel a token (status cancelled)",
        "fhir",
        {200: _fhir("Appointment"), 202: _fhir("OperationOutcome")},
        FHIR_WRITE_ERRORS,
        body=(AppointmentIn,),
        params=(IDEMPOTENCY, CODE, CODE_QUERY),
        body_media=MEDIA_TYPE,
    ),
    ("PATCH", "/fhir/Appointment/{id}"): Operation(
        "FHIR: cancel a token (JSON Patch of status)",
        "fhir",
        {200: _fhir("Appointment"), 202: _fhir("OperationOutcome")},
        FHIR_WRITE_ERRORS,
        body=(JsonPatch,),
        params=(IDEMPOTENCY, CODE, CODE_QUERY),
        body_media="application/json-patch+json",
    ),
}
