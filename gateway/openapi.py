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
from gateway.openapi_examples import example
from gateway.openapi_page import ASSETS, PAGE, SERVED
from gateway.static_files import named_file
from shared.cancel_codes import CODE_HEADER
from shared.codec import dumps

routes = web.RouteTableDef()
DOCUMENT = web.AppKey("openapi_document", bytes)
REF = "#/components/schemas/{model}"
KEYED: list[dict[str, list[str]]] = [{"apiKey": []}, {"bearer": []}]
KEYED_OR_CODE: list[dict[str, list[str]]] = [*KEYED, {"cancelCode": []}]  # staff, or the token's own cancel code
RST_LITERAL = re.compile(r"``([^`]+)``")
TAGS = {
    "doctors": "Doctors, their weekly slots and dated schedules",
    "tokens": "Booking, emergencies, cancelling and reading tokens",
    "day": "The OPD day: check-in, call-next, complete, recall, no-show, delay, the live queue",
    "live": "The live feed and the waiting-room board",
    "audit": "What patients were told",
    "patient": "A patient's own page, reached through the link in their booking message",
    "operations": "Health, metrics and this document",
    "fhir": "FHIR R4 scheduling (application/fhir+json; errors are OperationOutcome): see /fhir/metadata",
}
ERROR_CODES = {  # the example of each refusal
    400: "INVALID_REQUEST",
    401: "UNAUTHENTICATED",
    403: "FORBIDDEN",
    404: "TOKEN_NOT_FOUND",
    409: "DUPLICATE_TOKEN",
    413: "INVALID_REQUEST",
    422: "SLOT_ENDED",
    429: "RATE_LIMITED",
    503: "BROKER_UNAVAILABLE",
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


def _content(answer: Answer, refs: dict[Any, Any], components: dict[str, Any]) -> dict[str, Any]:
    if isinstance(answer, tuple):
        media, schema = answer
        return {media: {"schema": schema}}
    schema = refs[(answer, "serialization")]
    return {"application/json": {"schema": schema, "example": example(schema, components)}}


def _markdown(text: str) -> str:
    """Docstrings write code as reST ``literals``; the page renders Markdown."""
    return RST_LITERAL.sub(r"`\1`", text)


def _markdown_descriptions(node: Any) -> Any:
    """The models' docstrings, in every schema's ``description``, as Markdown."""
    if isinstance(node, dict):
        return {
            k: _markdown(v) if k == "description" and isinstance(v, str) else _markdown_descriptions(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_markdown_descriptions(item) for item in node]
    return node


def _security(access: Access) -> tuple[list[dict[str, list[str]]], str]:
    """The security requirement and who may call, as the route declares it (and the gateway enforces it)."""
    if access is Access.PATIENT:
        return KEYED_OR_CODE, "the `staff` role (or higher), or the token's cancel code"
    if access is Access.PUBLIC:
        return [], "public"
    return KEYED, f"the `{access.value}` role (or higher)"


def _parameters(path: str, operation: Operation) -> list[dict[str, Any]]:
    given = [(name, "path", True, *PATH_PARAMS[name]) for name in re.findall(r"\{(\w+)\}", path)]
    given += [(p.name, p.where, p.required, p.schema, p.description) for p in operation.params]
    keys = ("name", "in", "required", "schema", "description")
    return [dict(zip(keys, values, strict=True)) for values in given]


def _operation(
    path: str, access: Access, handler: Any, operation: Operation, refs: dict[Any, Any], components: dict[str, Any]
) -> dict[str, Any]:
    security, who = _security(access)
    errors = {401, *operation.errors}
    if security:
        errors.add(403)
    if path not in UNMETERED:
        errors.add(429)
    kind = "F" if path.startswith(PREFIX) else "E"  # FHIR errors are OperationOutcomes
    responses: dict[str, Any] = {str(s): {"$ref": f"#/components/responses/{kind}{s}"} for s in sorted(errors)}
    for status, answer in operation.answers.items():
        content = _content(answer, refs, components)
        responses[str(status)] = {"description": _describe(status, answer), "content": content}
    spec: dict[str, Any] = {
        "operationId": handler.__name__,
        "tags": [operation.tag],
        "summary": operation.summary,
        "description": _markdown(f"{inspect.getdoc(handler) or operation.summary}\n\n**Who:** {who}."),
        "x-required-role": access.value,
        "security": security,
        "parameters": _parameters(path, operation),
        "responses": dict(sorted(responses.items())),
    }
    if operation.body:
        schemas = [refs[(model, "validation")] for model in operation.body]
        media: dict[str, Any] = {"schema": schemas[0] if len(schemas) == 1 else {"oneOf": schemas}}
        if len(schemas) == 1:
            media["example"] = example(schemas[0], components)
        else:
            media["examples"] = {
                m.__name__: {"value": example(s, components)} for m, s in zip(operation.body, schemas, strict=True)
            }
        spec["requestBody"] = {"required": operation.body_required, "content": {operation.body_media: media}}
    return spec


def _describe(status: int, answer: Answer) -> str:
    """The status phrase, and the model's own docstring (not an inherited one)."""
    own = None if isinstance(answer, tuple) else answer.__doc__
    return _markdown(f"{HTTPStatus(status).phrase}: {inspect.cleandoc(own)}") if own else HTTPStatus(status).phrase


def document(app: web.Application) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``app``'s routes."""
    described = _described(app)
    refs, schemas = models_json_schema(_models([d[-1] for d in described]), by_alias=True, ref_template=REF)
    error_ref = refs[(ErrorBody, "serialization")]
    components = _markdown_descriptions(schemas["$defs"])
    paths: dict[str, dict[str, Any]] = {}
    for method, path, access, handler, operation in described:
        paths.setdefault(path, {})[method.lower()] = _operation(path, access, handler, operation, refs, components)
    responses: dict[str, dict[str, Any]] = {
        f"E{status}": {"description": _markdown(text), "content": {"application/json": {"schema": error_ref}}}
        for status, text in ERRORS.items()
    }
    for status, code in ERROR_CODES.items():
        answer = {"success": False, "error": ERRORS[status].split(":")[0], "code": code}
        responses[f"E{status}"]["content"]["application/json"]["example"] = answer
    responses |= {
        f"F{status}": {"description": _markdown(text), "content": {MEDIA_TYPE: {"schema": OUTCOME_SCHEMA}}}
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
            "schemas": components,
            "responses": responses,
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": KEY_HEADER},
                "bearer": {"type": "http", "scheme": "bearer", "description": "the same API key"},
                "cancelCode": {
                    "type": "apiKey",
                    "in": "header",
                    "name": CODE_HEADER,
                    "description": "the code a patient got with the booking (or `?code=`): their own token only",
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
    """Swagger UI on this document, from the gateway's own copy of its files (no CDN)."""
    return web.Response(text=PAGE, content_type="text/html")


@routes.get("/api/docs/assets/{name}")
@public
async def docs_asset(request: web.Request) -> web.StreamResponse:
    """The files of the documentation page (Swagger UI's script, styles and icon)."""
    return named_file(ASSETS, SERVED, request.match_info["name"], max_age=86400)
