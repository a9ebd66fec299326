"""Checking what /fhir/ emits: every resource parses and validates as FHIR (fhir.resources' R4B models, which
share R4's scheduling resources), and its coded statuses are in R4's value sets (the models do not check those)."""

from typing import Any

from aiohttp import ClientResponse
from fhir.resources.R4B import get_fhir_model_class

MEDIA_TYPE = "application/fhir+json"
CODES: dict[tuple[str, str], frozenset[str]] = {
    ("Slot", "status"): frozenset({"busy", "free", "busy-unavailable", "busy-tentative", "entered-in-error"}),
    ("Appointment", "status"): frozenset(
        {
            "proposed",
            "pending",
            "booked",
            "arrived",
            "fulfilled",
            "cancelled",
            "noshow",
            "entered-in-error",
            "checked-in",
            "waitlist",
        }
    ),
    ("Bundle", "type"): frozenset({"searchset"}),
    ("CapabilityStatement", "kind"): frozenset({"instance"}),
}
ISSUE_TYPES = frozenset(
    {"invalid", "login", "forbidden", "not-found", "not-supported", "conflict", "duplicate", "too-costly"}
    | {"business-rule", "throttled", "transient", "timeout", "exception", "informational"}
)


def valid(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource, once it has validated (a Bundle with every entry); raises otherwise."""
    kind = resource["resourceType"]
    get_fhir_model_class(kind).model_validate(resource)
    _no_empty_values(resource, kind)
    for (of, field), codes in CODES.items():
        if of == kind:
            assert resource[field] in codes, (kind, field, resource[field])
    for issue in resource.get("issue", []):
        assert issue["severity"] in {"fatal", "error", "warning", "information"} and issue["code"] in ISSUE_TYPES
    for entry in resource.get("entry", []):
        valid(entry["resource"])
    return resource


def _no_empty_values(value: Any, where: str) -> None:
    """FHIR JSON has no empty arrays, objects or strings (the models let some through)."""
    assert value not in ([], {}, ""), f"an empty value at {where}"
    if isinstance(value, dict):
        for key, item in value.items():
            _no_empty_values(item, f"{where}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            _no_empty_values(item, f"{where}[{n}]")


async def fhir_json(response: ClientResponse, status: int) -> dict[str, Any]:
    """The validated FHIR body of a response that must have this status."""
    body: dict[str, Any] = await response.json(content_type=None)
    assert response.status == status, body
    assert response.content_type == MEDIA_TYPE, response.content_type
    return valid(body)


def error_code(outcome: dict[str, Any]) -> str:
    """Our machine code (the REST error's ``code``) in an OperationOutcome."""
    assert outcome["resourceType"] == "OperationOutcome", outcome
    code: str = outcome["issue"][0]["details"]["coding"][0]["code"]
    return code
