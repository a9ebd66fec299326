"""The OpenAPI document: valid 3.1, every route with its declared access, bodies true to the payload models."""

from typing import Any

import pytest
from aiohttp import web
from openapi_spec_validator import validate

from gateway import api_models
from gateway.app import create_app
from gateway.auth import Access, access_of, public
from gateway.openapi import KEYED, KEYED_OR_CODE, UndescribedRoute, document
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
        operation = spec["paths"][route.resource.canonical][route.method.lower()]  # type: ignore[union-attr]
        access = access_of(route.handler)
        assert operation["x-required-role"] == access
        assert operation["security"] == {Access.PUBLIC: [], Access.PATIENT: KEYED_OR_CODE}.get(access, KEYED)
        if access is not Access.PUBLIC:
            assert {"401", "403"} <= operation["responses"].keys()


@pytest.mark.parametrize(
    ("body", "payload", "from_path", "added"),
    [
        (api_models.CreateDoctorBody, commands.CreateDoctorPayload, (), ()),
        (api_models.UpdateSlotsBody, commands.UpdateDoctorSlotsPayload, ("doctorId",), ()),
        (api_models.UnavailabilityBody, commands.MarkDoctorUnavailablePayload, ("doctorId",), ()),
        (api_models.EmergencyBySpecializationBody, commands.AddEmergencyPayload, ("doctorId",), ("specialization",)),
        (api_models.CancelBody, commands.CancelTokenPayload, ("doctorId", "tokenId"), ("cancelCode",)),
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
