"""Every error under ``/fhir/`` as an OperationOutcome: the REST error's status, code and message, FHIR-shaped.

Errors are made in one place for REST and FHIR alike (the error and access middlewares, the handlers); this
middleware sits outside them and reshapes a JSON error body, so the meaning and the status never differ.
"""

from typing import Any

from aiohttp import web

from gateway.errors import Handler
from gateway.fhir import terms
from gateway.fhir.wire import fhir_response
from shared.codec import loads

ISSUE_TYPE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "business-rule",
    429: "throttled",
    503: "transient",
    504: "timeout",
}
KEPT_HEADERS = ("Retry-After", "WWW-Authenticate", "Location")


def operation_outcome(status: int, code: str, message: str, details: dict[str, Any]) -> dict[str, Any]:
    """One issue for the error (our machine code as its coding), one more per field a validation names."""
    kind = "duplicate" if code == "DUPLICATE_TOKEN" else ISSUE_TYPE.get(status, "exception")
    issues: list[dict[str, Any]] = [
        {
            "severity": "fatal" if status >= 500 else "error",
            "code": kind,
            "details": {"coding": [{"system": terms.ERROR_CODE, "code": code}], "text": message},
            "diagnostics": message,
        }
    ]
    for field in details.get("errors") or []:
        if isinstance(field, dict) and field.get("field"):
            issues.append(
                {
                    "severity": "error",
                    "code": "invalid",
                    "diagnostics": str(field.get("message", "invalid")),
                    "expression": [str(field["field"])],
                }
            )
    return {"resourceType": "OperationOutcome", "issue": issues}


@web.middleware
async def outcome_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    if (
        not request.path.startswith(terms.PREFIX)
        or response.status < 400
        or response.content_type != "application/json"
    ):
        return response
    assert isinstance(response, web.Response) and isinstance(response.body, bytes | bytearray)
    body = loads(bytes(response.body))
    outcome = operation_outcome(response.status, str(body.get("code")), str(body.get("error")), body)
    headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    return fhir_response(outcome, response.status, headers)
