"""The OpenAPI document: valid 3.1, every route with its declared access, bodies true to the payload models."""

import inspect
import json
import re
from typing import Any

import jsonschema
import pytest
from aiohttp import web
from openapi_spec_validator import validate

from gateway import api_models
from gateway.app import create_app
from gateway.auth import Access, access_of, public
from gateway.openapi import KEYED, KEYED_OR_CODE, UndescribedRoute, document
from gateway.openapi_page import ASSETS, PAGE, SERVED
from gateway.settings import GatewaySettings
from shared.contracts import commands


@pytest.fixture(scope="module")
def app() -> web.Application:
    return create_app(GatewaySettings(_env_file=None, auth_mode="development"))


@pytest.fixture(scope="module")
def spec(app: web.Application) -> dict[str, Any]:
    return document(app)


def test_the_document_is_valid_openapi_3_1(spec: dict[str, Any]) -> None:
    validate(spec)
    assert spec["openapi"].startswith("3.1")


def test_every_route_is_documented_with_its_declared_access(app: web.Application, spec: dict[str, Any]) -> None:
    routes = [r for r in app.router.routes() if r.method != "HEAD" and r.resource is not None]
    assert len(routes) >= 28
    for route in routes:
        path = route.resource.canonical  # type: ignore[union-attr]
        operation = spec["paths"][path][route.method.lower()]
        access = access_of(route.handler)
        reads_a_patients_token = "readable_token(" in inspect.getsource(route.handler)
        assert reads_a_patients_token <= (access is Access.PATIENT), f"{route.method} {path}: declare @patient_data"
        assert operation["x-required-role"] == access
        security: dict[Access | None, list[dict[str, list[str]]]] = {Access.PUBLIC: [], Access.PATIENT: KEYED_OR_CODE}
        assert operation["security"] == security.get(access, KEYED)
        if operation["security"]:
            assert {"401", "403"} <= operation["responses"].keys()


def _media(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(where, media type object) of every JSON request body and answer."""
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            bodies = [("request", operation.get("requestBody", {}).get("content", {}))]
            bodies += [(status, answer.get("content", {})) for status, answer in operation["responses"].items()]
            found += [
                (f"{method} {path} {where}", c["application/json"]) for where, c in bodies if "application/json" in c
            ]
    responses = spec["components"]["responses"].items()
    return found + [
        (name, r["content"]["application/json"]) for name, r in responses if "application/json" in r["content"]
    ]


def test_every_request_and_answer_has_an_example_that_fits_its_schema(spec: dict[str, Any]) -> None:
    checked = 0
    for where, media in _media(spec):
        if media["schema"].get("type") == "object" and "properties" not in media["schema"]:
            continue  # the document itself
        examples = (
            [media["example"]] if "example" in media else [e["value"] for e in media.get("examples", {}).values()]
        )
        assert examples, f"{where}: no example"
        for value in examples:
            schema = {**media["schema"], "components": spec["components"]}
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(value))
            assert not errors, f"{where}: {errors[0].message}"
            checked += 1
    assert checked > 50


def test_descriptions_are_markdown_and_the_page_is_swagger_ui_from_the_gateway(spec: dict[str, Any]) -> None:
    text = json.dumps(spec)
    assert "``" not in text  # reST literals would show as raw backticks
    assert "**Who:** the `staff` role (or higher), or the token's cancel code." in text
    assert "swagger-ui-bundle.js" in PAGE and not re.search(r"https?://", PAGE)
    assert {path.name for path in ASSETS.iterdir()} >= SERVED


@pytest.mark.parametrize(
    ("body", "payload", "from_path", "added"),
    [
        (api_models.CreateDoctorBody, commands.CreateDoctorPayload, (), ()),
        (api_models.UpdateSlotsBody, commands.UpdateDoctorSlotsPayload, ("doctorId",), ()),
        (api_models.UnavailabilityBody, commands.MarkDoctorUnavailablePayload, ("doctorId",), ()),
        (api_models.EmergencyBySpecializationBody, commands.AddEmergencyPayload, ("doctorId",), ("specialization",)),
        (api_models.CancelBody, commands.CancelTokenPayload, ("doctorId", "tokenId"), ()),
        (api_models.CallNextBody, commands.CallNextPayload, ("doctorId",), ()),
        (api_models.DelayBody, commands.DelayDoctorPayload, ("doctorId",), ()),
        (api_models.ReallocateBody, commands.ReallocatePayload, ("doctorId",), ()),
    ],
)
def test_a_rest_body_is_its_payload_without_the_path_fields(
    body: Any, payload: Any, from_path: tuple[str, ...], added: tuple[str, ...]
) -> None:
    rest, full = body.model_json_schema(by_alias=True), payload.model_json_schema(by_alias=True)
    kept = full["properties"].keys() - set(from_path)
    assert rest["properties"].keys() == kept | set(added)
    optional = {"doctorId"}  # POST /api/doctors: a new id unless the client gives one
    assert set(rest.get("required", [])) - set(added) == set(full["required"]) & kept - optional
    for name in kept - optional:
        assert rest["properties"][name] == full["properties"][name], name


def test_a_route_without_a_description_stops_the_start(app: web.Application) -> None:
    @public
    async def handler(request: web.Request) -> web.Response:
        return web.Response()

    extra = web.Application()
    extra.router.add_get("/api/undescribed", handler)
    with pytest.raises(UndescribedRoute, match="GET /api/undescribed"):
        document(extra)
