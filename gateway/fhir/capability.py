"""The CapabilityStatement: exactly what ``/fhir/`` serves, and nothing it does not."""

from importlib.metadata import version
from typing import Any

from aiohttp import web

from gateway.context import CLOCK
from gateway.fhir import terms
from gateway.fhir.search import COUNT, MAX_COUNT, OFFSET
from gateway.fhir.wire import base_url

STANDARD = "http://hl7.org/fhir/SearchParameter/"


def _param(name: str, kind: str, text: str, definition: str | None = None) -> dict[str, str]:
    found = {"name": name, "type": kind, "documentation": text}
    return {**found, "definition": definition} if definition else found


def _interactions(*codes: str, **documented: str) -> list[dict[str, str]]:
    return [{"code": code} for code in codes] + [{"code": c, "documentation": t} for c, t in documented.items()]


def _resource(kind: str, interactions: list[dict[str, str]], *params: dict[str, str], **more: Any) -> dict[str, Any]:
    found = {"type": kind, "interaction": interactions, "versioning": "no-version", "readHistory": False, **more}
    return {**found, "searchParam": list(params)} if params else found


RESOURCES = [
    _resource(
        "Practitioner",
        _interactions("read", "search-type"),
        _param(
            "specialty", "token", "the doctor's specialization (exact, case-insensitive)", terms.SPECIALTY_PARAMETER
        ),
        documentation="A doctor; the specialization is a qualification.",
    ),
    _resource(
        "Schedule",
        _interactions("read"),
        documentation="A doctor's working days and weekly slots; its id is the Practitioner's.",
    ),
    _resource(
        "Slot",
        _interactions("read", "search-type"),
        _param("schedule", "reference", "Schedule/<id>; every doctor without it", f"{STANDARD}Slot-schedule"),
        _param(
            "start", "date", "days, with eq, ge, le, gt or lt; a week from today without it", f"{STANDARD}Slot-start"
        ),
        _param("status", "token", "free, busy or busy-unavailable", f"{STANDARD}Slot-status"),
        documentation="A dated slot; slot-capacity gives the seats a regular patient can still get.",
    ),
    _resource(
        "Appointment",
        _interactions(
            "read",
            "search-type",
            create="books a token (BookToken); source from the token-source extension, default walkin",
            update="status cancelled only: cancels the token",
            patch="JSON Patch replacing /status with cancelled only: cancels the token",
        ),
        _param("practitioner", "reference", "Practitioner/<id>; required", f"{STANDARD}Appointment-practitioner"),
        _param("date", "date", "days, with eq, ge, le, gt or lt; today without it", f"{STANDARD}Appointment-date"),
        _param("status", "token", ", ".join(terms.APPOINTMENT_STATUSES), f"{STANDARD}Appointment-status"),
        documentation="A token. Staff read and search any; a patient reads and cancels their own with the cancel "
        "code (X-Cancel-Code).",
        updateCreate=False,
        conditionalCreate=False,
        conditionalUpdate=False,
    ),
]


def capability_statement(request: web.Request) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": request.app[CLOCK].now().date().isoformat(),
        "publisher": "OPD token system",
        "kind": "instance",
        "software": {"name": "OPD token system", "version": version("opd-token-system")},
        "implementation": {"description": "OPD token gateway: FHIR R4 scheduling", "url": base_url(request)},
        "fhirVersion": terms.FHIR_VERSION,
        "format": [terms.MEDIA_TYPE, "json"],
        "patchFormat": ["application/json-patch+json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Reads come from the live read side; writes are commands for the allocator.",
                "security": {
                    "description": "An API key (X-API-Key or Authorization: Bearer) with the role REST asks for; "
                    "a patient's cancel code (X-Cancel-Code) for their own Appointment. Practitioner, Schedule and "
                    "Slot are public."
                },
                "resource": RESOURCES,
                "searchParam": [
                    _param(COUNT, "number", f"page size, 1..{MAX_COUNT}"),
                    _param(OFFSET, "number", "matches to skip (paging links carry it)"),
                ],
            }
        ],
    }
