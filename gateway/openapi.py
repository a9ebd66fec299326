"""The REST API's OpenAPI 3.1 document, built at start-up from the app's routes, and a page that shows it.

Each route's security comes from its access declaration (``access_of``), its text from its docstring and
``openapi_catalog``, and every schema from the pydantic models the gateway validates and answers with.
"""

import inspect
import re
from http import HTTPStatus
from importlib.metadata import version
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from gateway.access import UNMETERED
from gateway.api_models import ErrorBody
from gateway.auth import KEY_HEADER, Access, access_of, public
from gateway.fhir.terms import MEDIA_TYPE, PREFIX
from gateway.openapi_catalog import OPERATIONS, PATH_PARAMS, Answer, Operation
from gateway.openapi_page import PAGE
from shared.cancel_codes import CODE_HEADER
from shared.codec import dumps

routes = web.RouteTableDef()
DOCUMENT = web.AppKey("openapi_document", bytes)
REF = "#/components/schemas/{model}"
KEYED: list[dict[str, list[str]]] = [{"apiKey": []}, {"bearer": []}]
KEYED_OR_CODE: list[dict[str, list[str]]] = [*KEYED, {"cancelCode": []}]
TAGS = {
    "doctors": "Doctors, their weekly slots and dated schedules",
    "tokens": "Booking, emergencies, cancelling and reading tokens",
    "day": "The OPD day: check-in, call-next, complete, recall, no-show, delay, the live queue",
    "live": "The live feed and the waiting-room board",
    "audit": "What patients were told",
    "operations": "Health, metrics and this document",
    "fhir": "FHIR R4 scheduling (application/fhir+json; errors are OperationOutcome): see /fhir/metadata",
}
ERRORS = {
    400: "Malformed request: `errors` lists the fields",
    401: "No API key (or cancel code), or an unknown key",
    403: "The key's role is too low (`requiredRole`), or a wrong cancel code",
    404: "Unknown doctor, token or path",
    409: "Conflict: duplicate, full without waitlist, invalid transition",
    413: "Body larger than OPD_MAX_BODY_BYTES",
    422: "Valid but impossible: not a working day, slot not in the schedule or ended, Idempotency-Key reused",
    429: "Rate limited: retry after `Retry-After` seconds",
    503: "Broker or database unavailable: nothing was done; retry after `Retry-After` seconds",
}


OUTCOME_SCHEMA = {
    "type": "object",
    "required": ["resourceType", "issue"],
    "properties": {"resourceType": {"const": "OperationOutcome"}, "issue": {"type": "array", "minItems": 1}},
}


class UndescribedRoute(LookupError):
    """A route without access declaration or catalog entry: the document would not be the API."""


def _described(app: web.Application) -> list[tuple[str, str, Access, Any, Operation]]:
    """(method, path, access, handler, operation) for every route but HEAD twins, in registration order."""
    found = []
    for route in app.router.routes():
        if route.method == "HEAD" or route.resource is None:
            continue
        path, access = route.resource.canonical, access_of(route.handler)
        operation = OPERATIONS.get((route.method, path))
        if operation is None or access is None:
            raise UndescribedRoute(f"{route.method} {path}: declare its access and describe it in openapi_catalog")
        found.append((route.method, path, access, route.handler, operation))
    return found


def _models(operations: list[Operation]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ErrorBody, "serialization")]
    for operation in operations:
        wanted += [(model, "validation") for model in operation.body]
        wanted += [(a, "serialization") for a in operation.answers.values() if not isinstance(a, tuple)]
    return list(dict.fromkeys(wanted))


def _content(answer: Answer, refs: dict[Any, Any]) -> dict[str, Any]:
    media, schema = answer if isinstance(answer, tuple) else ("application/json", refs[(answer, "serialization")])
    return {media: {"schema": schema}}


def _parameters(path: str, operation: Operation) -> list[dict[str, Any]]:
    given = [(name, "path", True, *PATH_PARAMS[name]) for name in re.findall(r"\{(\w+)\}", path)]
    given += [(p.name, p.where, p.required, p.schema, p.description) for p in operation.params]
    keys = ("name", "in", "required", "schema", "description")
    return [dict(zip(keys, values, strict=True)) for values in given]


def _operation(path: str, access: Access, handler: Any, operation: Operation, refs: dict[Any, Any]) -> dict[str, Any]:
    errors = {401, *operation.errors}
    if access is not Access.PUBLIC:
        errors.add(403)
    if path not in UNMETERED:
        errors.add(429)
    kind = "F" if path.startswith(PREFIX) else "E"  # FHIR errors are OperationOutcomes
    responses: dict[str, Any] = {str(s): {"$ref": f"#/components/responses/{kind}{s}"} for s in sorted(errors)}
    for status, answer in operation.answers.items():
        responses[str(status)] = {"description": _describe(status, answer), "content": _content(answer, refs)}
    role = {
        Access.PUBLIC: "public",
        Access.PATIENT: "the `staff` role (or higher), or the token's cancel code (`X-Cancel-Code`)",
    }.get(access, f"the `{access.value}` role (or higher)")
    spec: dict[str, Any] = {
        "operationId": handler.__name__,
        "tags": [operation.tag],
        "summary": operation.summary,
        "description": f"{inspect.getdoc(handler) or operation.summary}\n\nWho: {role}.",
        "x-required-role": access.value,
        "security": {Access.PUBLIC: [], Access.PATIENT: KEYED_OR_CODE}.get(access, KEYED),
        "parameters": _parameters(path, operation),
        "responses": dict(sorted(responses.items())),
    }
    if operation.body:
        schemas = [refs[(model, "validation")] for model in operation.body]
        schema = schemas[0] if len(schemas) == 1 else {"oneOf": schemas}
        spec["requestBody"] = {
            "required": operation.body_required,
            "content": {operation.body_media: {"schema": schema}},
        }
    return spec


def _describe(status: int, answer: Answer) -> str:
    """The status phrase, and the model's own docstring (not an inherited one)."""
    own = None if isinstance(answer, tuple) else answer.__doc__
    return f"{HTTPStatus(status).phrase}: {inspect.cleandoc(own)}" if own else HTTPStatus(status).phrase


def document(app: web.Application) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``app``'s routes."""
    described = _described(app)
    refs, schemas = models_json_schema(_models([d[-1] for d in described]), by_alias=True, ref_template=REF)
    error_ref = refs[(ErrorBody, "serialization")]
    paths: dict[str, dict[str, Any]] = {}
    for method, path, access, handler, operation in described:
        paths.setdefault(path, {})[method.lower()] = _operation(path, access, handler, operation, refs)
    responses = {
        f"E{status}": {"description": text, "content": {"application/json": {"schema": error_ref}}}
        for status, text in ERRORS.items()
    }
    responses |= {
        f"F{status}": {"description": text, "content": {MEDIA_TYPE: {"schema": OUTCOME_SCHEMA}}}
        for status, text in ERRORS.items()
    }
    for throttled in ("E429", "F429"):
        responses[throttled]["headers"] = {"Retry-After": {"schema": {"type": "string"}, "required": True}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "OPD token system",
            "version": version("opd-token-system"),
            "description": "REST API of the OPD token gateway. Every JSON body has `success`; errors are "
            "`{success: false, error, code, ...details}`. Send an API key as `X-API-Key` or `Authorization: Bearer`.",
        },
        "tags": [{"name": name, "description": text} for name, text in TAGS.items()],
        "paths": paths,
        "components": {
            "schemas": schemas["$defs"],
            "responses": responses,
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": KEY_HEADER},
                "bearer": {"type": "http", "scheme": "bearer", "description": "the same API key"},
                "cancelCode": {
                    "type": "apiKey",
                    "in": "header",
                    "name": CODE_HEADER,
                    "description": "the patient's cancel code, given at booking: their own token only",
                },
            },
        },
    }


async def publish(app: web.Application) -> None:
    """``on_startup``: build the document once, when every route is registered."""
    app[DOCUMENT] = dumps(document(app))


@routes.get("/api/openapi.json")
@public
async def openapi_json(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 document of this API."""
    return web.Response(body=request.app[DOCUMENT], content_type="application/json")


@routes.get("/api/docs")
@public
async def docs(request: web.Request) -> web.Response:
    """A page listing every operation, rendered from the document (no external assets)."""
    return web.Response(text=PAGE, content_type="text/html")
