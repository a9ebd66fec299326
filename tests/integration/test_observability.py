"""Metrics and request ids through the real services: what an operator scrapes and traces."""

import logging
import socket
from collections.abc import Iterator
from uuid import UUID, uuid4

import aiohttp
import asyncpg
import pytest
from prometheus_client import REGISTRY

from gateway.request_ids import correlation_id_for
from shared import log_context
from shared.metrics import serve_metrics
from tests.support.api import ApiClient, book, create_doctor
from tests.support.services import Running, eventually


def sample(name: str, **labels: str) -> float:
    """A metric's current value in this process (0 when it has no sample yet)."""
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def stamped() -> Iterator[None]:
    """Log records carry the context's ids, as in the services (``configure_logging``)."""
    undo = log_context.stamp_records()
    yield
    undo()


async def test_the_gateway_counts_requests_by_route_template_at_metrics(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    for _ in range(2):
        assert (await api.get(f"/api/doctors/{doctor['id']}")).status == 200
    assert (await api.get(f"/api/doctors/{uuid4()}")).status == 404
    assert (await api.get(f"/no/such/{uuid4()}")).status == 404

    async with aiohttp.ClientSession() as anonymous, anonymous.get(api.make_url("/metrics")) as response:
        assert response.status == 200, "Prometheus scrapes without an API key"
        assert response.content_type == "text/plain"
        text = await response.text()
    assert 'opd_http_requests_total{method="GET",route="/api/doctors/{doctorId}",status="200"}' in text
    assert 'opd_http_requests_total{method="GET",route="/api/doctors/{doctorId}",status="404"}' in text
    assert 'opd_http_requests_total{method="POST",route="/api/doctors",status="201"}' in text
    assert 'opd_http_requests_total{method="GET",route="unmatched",status="404"}' in text
    assert 'opd_http_request_seconds_bucket{le="0.005",method="GET",route="/api/doctors/{doctorId}"}' in text
    assert doctor["id"] not in text, "no ids in labels"
    assert sample("opd_http_requests_total", method="GET", route="/api/doctors/{doctorId}", status="200") >= 2


async def test_a_booking_moves_the_allocator_and_notifier_metrics(
    api: ApiClient, allocator: Running, notifier: Running
) -> None:
    doctor = await create_doctor(api)
    before = {
        "ok": sample("opd_commands_total", type="BookToken", outcome="ok"),
        "refused": sample("opd_commands_total", type="BookToken", outcome="refused"),
        "timed": sample("opd_command_seconds_count", type="BookToken"),
        "batches": sample("opd_batch_size_count"),
        "delivered": sample("opd_notifications_total", channel="log", outcome="delivered"),
        "attempts": sample("opd_notification_delivery_seconds_count", channel="log"),
    }
    await book(api, doctor["id"], "Metric Patient")
    await book(api, doctor["id"], "Metric Patient", expect=409)  # the same patient again: refused

    assert sample("opd_commands_total", type="BookToken", outcome="ok") == before["ok"] + 1
    assert sample("opd_commands_total", type="BookToken", outcome="refused") == before["refused"] + 1
    assert sample("opd_command_seconds_count", type="BookToken") == before["timed"] + 2
    assert sample("opd_batch_size_count") >= before["batches"] + 2

    async def counted_as_delivered() -> bool:
        return sample("opd_notifications_total", channel="log", outcome="delivered") > before["delivered"]

    await eventually(counted_as_delivered)
    assert sample("opd_notification_delivery_seconds_count", channel="log") > before["attempts"]
    # Gauges sampled from the broker and the database (their first sample is taken at start).
    assert REGISTRY.get_sample_value("opd_queue_depth", {"shard": "0"}) is not None
    assert REGISTRY.get_sample_value("opd_outbox_pending") is not None
    assert REGISTRY.get_sample_value("opd_outbox_lag_seconds") is not None
    assert REGISTRY.get_sample_value("opd_notifications_pending", {"channel": "log"}) is not None


async def test_a_service_metrics_listener_serves_the_registry() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = serve_metrics(port, "127.0.0.1")
    assert server is not None
    try:
        assert serve_metrics(port, "127.0.0.1") is None, "a port in use is reported, not fatal"
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/metrics") as response:
            assert response.status == 200
            assert "opd_commands_total" in await response.text()
    finally:
        server.shutdown()
        server.server_close()
    assert serve_metrics(0) is None


async def test_a_request_id_is_echoed_and_becomes_the_correlation_id_of_rows_and_log_lines(
    api: ApiClient,
    allocator: Running,
    pg: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
    stamped: None,
) -> None:
    doctor = await create_doctor(api)
    caplog.set_level(logging.DEBUG)
    response = await api.post(
        "/api/tokens",
        json={"doctorId": doctor["id"], "patientName": "Traced Patient", "patientAge": 30},
        headers={"X-Request-ID": "desk-7.booking_42"},
    )
    assert response.status == 201
    assert response.headers["X-Request-ID"] == "desk-7.booking_42"
    body = await response.json()
    correlation = correlation_id_for("desk-7.booking_42")

    inbox = await pg.fetchval("SELECT correlation_id FROM inbox WHERE command_id = $1", UUID(body["commandId"]))
    assert inbox == correlation
    events = await pg.fetch("SELECT body->>'correlationId' AS c, body->>'causationId' AS k FROM outbox")
    booked = [row for row in events if row["k"] == body["commandId"]]
    assert booked and all(row["c"] == str(correlation) for row in booked)

    gateway_lines = [r for r in caplog.records if getattr(r, "requestId", None) == "desk-7.booking_42"]
    assert gateway_lines and all(r.correlationId == str(correlation) for r in gateway_lines)  # type: ignore[attr-defined]
    allocator_lines = [
        r
        for r in caplog.records
        if r.name.startswith("allocator") and getattr(r, "commandId", None) == body["commandId"]
    ]
    assert allocator_lines and all(r.correlationId == str(correlation) for r in allocator_lines)  # type: ignore[attr-defined]


async def test_a_missing_or_unsafe_request_id_is_replaced_by_a_new_uuid(api: ApiClient) -> None:
    for header in ({}, {"X-Request-ID": "x" * 65}, {"X-Request-ID": "bad id\twith spaces"}):
        response = await api.get("/api/doctors", headers=header)
        assert response.status == 200
        assert UUID(response.headers["X-Request-ID"]).version == 4
    error = await api.get(f"/api/tokens/{uuid4()}", headers={"X-Request-ID": "err-1"})
    assert error.status == 404
    assert error.headers["X-Request-ID"] == "err-1"


async def test_each_request_has_an_access_line_at_info_without_patient_data(
    api: ApiClient, allocator: Running, caplog: pytest.LogCaptureFixture, stamped: None
) -> None:
    doctor = await create_doctor(api)
    caplog.set_level(logging.INFO, logger="gateway.access")
    response = await api.post(
        "/api/tokens?note=Priya%20Sharma",
        json={"doctorId": doctor["id"], "patientName": "Priya Sharma", "patientAge": 41, "phone": "+919800000001"},
        headers={"X-Request-ID": "kiosk-3.walkin_9"},
    )
    assert response.status == 201
    (line,) = [r for r in caplog.records if r.name == "gateway.access" and r.levelno == logging.INFO]
    assert (line.method, line.path, line.status) == ("POST", "/api/tokens", 201)  # type: ignore[attr-defined]
    assert line.durationMs > 0  # type: ignore[attr-defined]
    assert line.correlationId == str(correlation_id_for("kiosk-3.walkin_9"))  # type: ignore[attr-defined]
    assert "Priya" not in line.getMessage() and "98000" not in line.getMessage()


async def test_the_notifiers_delivery_lines_carry_the_requests_correlation_id(
    api: ApiClient, allocator: Running, notifier: Running, caplog: pytest.LogCaptureFixture, stamped: None
) -> None:
    doctor = await create_doctor(api)
    caplog.set_level(logging.INFO, logger="notifier.deliveries")
    response = await api.post(
        "/api/tokens",
        json={"doctorId": doctor["id"], "patientName": "Followed Patient", "patientAge": 52},
        headers={"X-Request-ID": "desk-2.booking_7"},
    )
    assert response.status == 201

    async def delivered() -> list[logging.LogRecord]:
        return [r for r in caplog.records if r.name == "notifier.deliveries"]

    lines = await eventually(delivered, timeout=10)
    assert all(r.correlationId == str(correlation_id_for("desk-2.booking_7")) for r in lines)  # type: ignore[attr-defined]
