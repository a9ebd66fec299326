"""schemathesis against the gateway's own OpenAPI document, with the allocator running.

Every operation gets generated requests (half of them about a real doctor and real tokens, so the writes
reach the allocator); each answer must be no 5xx, a documented status and content type, and match its schema.
schemathesis sends with ``requests`` (blocking), so it runs in a thread while the loop serves the gateway.
"""

import asyncio
import re
from collections.abc import Callable
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import ADMIN_HEADERS
from tests.support.api import DOCTOR_BODY, ApiClient
from tests.support.services import Running

CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ENDLESS = {"GET /api/events/stream"}  # an SSE stream never ends; tests/integration/test_live_feed.py covers it
pytestmark = pytest.mark.timeout(300)  # some forty operations, 80 + 15 examples each, on a shared CI machine


async def _spec(api: ApiClient) -> schemathesis.BaseSchema:
    response = await api.get("/api/openapi.json", headers={"X-API-Key": ""})
    assert response.status == 200
    return schemathesis.openapi.from_dict(await response.json())


def _seed(session: requests.Session, base_url: str) -> dict[str, list[str]]:
    """A fresh doctor with two tokens, so that generated requests can name things that exist."""
    doctor = session.post(f"{base_url}/api/doctors", json=DOCTOR_BODY, headers=ADMIN_HEADERS).json()["doctor"]["id"]
    tokens = [
        session.post(
            f"{base_url}/api/tokens",
            json={"doctorId": doctor, "patientName": name, "patientAge": 40},
            headers=ADMIN_HEADERS,
        ).json()["token"]["tokenNumber"]
        for name in ("Asha Verma", "Ravi Kumar")
    ]
    return {"doctorId": [doctor], "tokenId": tokens}


def _cases(operation: APIOperation[Any, Any, Any, Any], known: dict[str, list[str]]) -> st.SearchStrategy[Case[Any]]:
    """Generated cases, and as many again about the known doctor and tokens (path and body ``doctorId``)."""
    names = [name for name in re.findall(r"\{(\w+)\}", operation.path) if name in known]
    pinned = st.fixed_dictionaries({name: st.sampled_from(known[name]) for name in names}).flatmap(
        lambda given: operation.as_strategy(path_parameters=given)
    )

    def about_the_doctor(case: Case[Any]) -> Case[Any]:
        if isinstance(case.body, dict) and "doctorId" in case.body:
            case.body["doctorId"] = known["doctorId"][0]
        return case

    return st.one_of(operation.as_strategy(), pinned.map(about_the_doctor))


def _fuzz(spec: schemathesis.BaseSchema, base_url: str, headers: dict[str, str], examples: int) -> list[str]:
    """Every operation but ENDLESS, each with a doctor of its own; the failures, one entry per operation."""
    failures = []
    with requests.Session() as session:
        for result in spec.get_all_operations():
            if isinstance(result, Err):
                failures.append(f"an operation schemathesis cannot use: {result.err()}")
                continue
            operation = result.ok()
            if operation.label in ENDLESS:
                continue
            test = _property(operation, _seed(session, base_url), examples, base_url, headers, session)
            try:
                test()
            except Exception as exc:  # one report per operation; the others still run
                failures.append(f"{operation.label}:\n{exc}")
    return failures


def _property(
    operation: APIOperation[Any, Any, Any, Any],
    known: dict[str, list[str]],
    examples: int,
    base_url: str,
    headers: dict[str, str],
    session: requests.Session,
) -> Callable[[], None]:
    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        print_blob=False,
    )
    @given(case=_cases(operation, known))
    def test(case: Case[Any]) -> None:
        case.call_and_validate(base_url=base_url, session=session, headers=headers, checks=CHECKS, timeout=15)

    return test


async def test_every_operation_keeps_its_contract(api: ApiClient, allocator: Running) -> None:
    failures = await asyncio.to_thread(_fuzz, await _spec(api), str(api.make_url("")), ADMIN_HEADERS, 80)
    assert not failures, "\n\n".join(failures)


async def test_without_a_key_the_answers_are_documented_too(api: ApiClient, allocator: Running) -> None:
    """Public operations answer as documented; the others say 401, which they document."""
    failures = await asyncio.to_thread(_fuzz, await _spec(api), str(api.make_url("")), {}, 15)
    assert not failures, "\n\n".join(failures)


async def test_the_docs_page_is_self_contained(api: ApiClient) -> None:
    response = await api.get("/api/docs", headers={"X-API-Key": ""})
    page = await response.text()
    assert response.status == 200 and response.content_type == "text/html"
    assert "openapi.json" in page and not re.search(r"(src|href)=\"(https?:)?//", page)


def _slots(*ranges: tuple[str, str]) -> dict[str, Any]:
    return {**DOCTOR_BODY, "timeSlots": [{"startTime": a, "endTime": b, "maxCapacity": 4} for a, b in ranges]}


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/doctors?specialization=%00", None),
        ("GET", "/api/tokens/T%00/notifications", None),
        ("GET", f"/api/doctors?offset={2**70}", None),
        ("POST", "/api/tokens/emergency", {"specialization": "ENT\u0000", "patientName": "A", "patientAge": 30}),
        ("POST", "/api/doctors", {**DOCTOR_BODY, "name": "Dr. \u0000"}),
        ("POST", "/api/doctors", _slots(("09:00", "10:00"), ("10:00:00Z", "11:00:00Z"))),
        ("POST", "/api/doctors", _slots(("09:00:00+05:30", "10:00:00+05:30"))),
        ("POST", "/api/doctors", _slots(("09:00:30", "10:00"))),
    ],
)
async def test_what_the_fuzzer_found_stays_fixed(
    api: ApiClient, allocator: Running, method: str, path: str, body: dict[str, Any] | None
) -> None:
    """500s: NUL characters (PostgreSQL text cannot hold them), offsets past int64, UTC offsets mixed with local
    clock times. Silently changed: a UTC offset (dropped), seconds (hidden). All are 400s now."""
    response = await api.request(method, path, json=body)
    assert response.status == 400, await response.text()
