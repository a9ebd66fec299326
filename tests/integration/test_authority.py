"""One authority for every entry point: the role table enforced over REST and AMQP alike, generated from the code.

The REST matrix walks every route the application registers; the AMQP matrix walks every command type of the
contract. A route or command type that the tables below do not know fails the suite, so nothing new ships
without a declared role.
"""

import asyncio
import hashlib
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any, cast
from uuid import UUID, uuid4

import aio_pika
import aiohttp
import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_app
from gateway.auth import Access, access_of
from gateway.settings import GatewaySettings
from shared.authority import LEAST_ROLE, required_role
from shared.codec import COMMAND_BY_TYPE, decode_reply, encode
from shared.command_bus import CommandBus
from shared.contracts.caller import Caller, Role
from shared.contracts.commands import AnyCommand
from shared.contracts.replies import Reply
from shared.routing import shard_for
from shared.topology import REPLY_TO, Topology
from tests.conftest import AMQP_URL, API_KEYS, SHARD_COUNT, key_entries
from tests.support.api import ApiClient, book, create_doctor
from tests.support.services import Running

AGE = "urn:opd:fhir:extension:patient-age"
RANK = {"anonymous": -1, **{role.value: role.rank for role in Role}}
SLOTS = {"timeSlots": [{"startTime": "09:00", "endTime": "10:00", "maxCapacity": 4}]}

# The command each writing route sends: its declared role must be the command's least role.
ROUTE_COMMANDS = {
    ("POST", "/api/doctors"): "CreateDoctor",
    ("PUT", "/api/doctors/{doctorId}/slots"): "UpdateDoctorSlots",
    ("POST", "/api/doctors/{doctorId}/unavailability"): "MarkDoctorUnavailable",
    ("POST", "/api/tokens"): "BookToken",
    ("POST", "/api/tokens/emergency"): "AddEmergency",
    ("PUT", "/api/tokens/{tokenId}/cancel"): "CancelToken",
    ("PUT", "/api/tokens/{tokenId}/no-show"): "MarkNoShow",
    ("PUT", "/api/tokens/{tokenId}/check-in"): "CheckIn",
    ("PUT", "/api/tokens/{tokenId}/complete"): "CompleteToken",
    ("PUT", "/api/tokens/{tokenId}/recall"): "RecallToken",
    ("POST", "/api/doctors/{doctorId}/call-next"): "CallNext",
    ("POST", "/api/doctors/{doctorId}/delay"): "DelayDoctor",
    ("POST", "/api/tokens/reallocate/{doctorId}"): "Reallocate",
    ("POST", "/fhir/Appointment"): "BookToken",
    ("PUT", "/fhir/Appointment/{id}"): "CancelToken",
    ("PATCH", "/fhir/Appointment/{id}"): "CancelToken",
}
# The routes a status link's code authorizes: public (the code is the credential, checked in the handler), and
# each sends its command for the booking role with the token's cancel code, which the allocator checks again.
LINK_COMMANDS = {
    ("POST", "/t/{code}/late"): "RecallToken",
    ("POST", "/t/{code}/cancel"): "CancelToken",
}
# Public routes authorized by a signature over the body instead (an SMS gateway's): unsigned, everyone gets 401.
SIGNED_ROUTES = {("POST", "/api/inbound/sms")}


def _fhir_booking(doctor: str) -> dict[str, Any]:
    patient = {"actor": {"type": "Patient", "display": "Matrix Fhir"}, "extension": [{"url": AGE, "valueInteger": 30}]}
    practitioner = {"actor": {"reference": f"Practitioner/{doctor}"}}
    return {"resourceType": "Appointment", "status": "booked", "participant": [patient, practitioner]}


def _route_calls(doctor: str, token: str, command: str, page: str) -> dict[tuple[str, str], tuple[str, Any]]:
    """How to call each route: (method, template) → (path, body); ``page``: the token's status link."""
    patient = {"doctorId": doctor, "patientName": "Matrix Patient", "patientAge": 30}
    return {
        ("POST", "/api/doctors"): ("/api/doctors", {"name": "Dr. Matrix", "specialization": "ENT", **SLOTS}),
        ("PUT", "/api/doctors/{doctorId}/slots"): (f"/api/doctors/{doctor}/slots", SLOTS),
        ("POST", "/api/doctors/{doctorId}/unavailability"): (
            f"/api/doctors/{doctor}/unavailability",
            {"date": "2026-12-09"},
        ),
        ("POST", "/api/tokens"): ("/api/tokens", patient),
        ("POST", "/api/tokens/emergency"): ("/api/tokens/emergency", {**patient, "patientName": "Matrix Emergency"}),
        ("PUT", "/api/tokens/{tokenId}/cancel"): (f"/api/tokens/{token}/cancel", None),
        ("PUT", "/api/tokens/{tokenId}/no-show"): (f"/api/tokens/{token}/no-show", None),
        ("PUT", "/api/tokens/{tokenId}/check-in"): (f"/api/tokens/{token}/check-in", None),
        ("PUT", "/api/tokens/{tokenId}/complete"): (f"/api/tokens/{token}/complete", None),
        ("PUT", "/api/tokens/{tokenId}/recall"): (f"/api/tokens/{token}/recall", None),
        ("POST", "/api/doctors/{doctorId}/call-next"): (f"/api/doctors/{doctor}/call-next", None),
        ("POST", "/api/doctors/{doctorId}/delay"): (f"/api/doctors/{doctor}/delay", {"minutes": 5}),
        ("POST", "/api/tokens/reallocate/{doctorId}"): (f"/api/tokens/reallocate/{doctor}", None),
        ("GET", "/api/doctors"): ("/api/doctors", None),
        ("GET", "/api/doctors/{doctorId}"): (f"/api/doctors/{doctor}", None),
        ("GET", "/api/doctors/{doctorId}/schedule"): (f"/api/doctors/{doctor}/schedule", None),
        ("GET", "/api/doctors/{doctorId}/queue"): (f"/api/doctors/{doctor}/queue", None),
        ("GET", "/api/doctors/{doctorId}/board"): (f"/api/doctors/{doctor}/board", None),
        ("GET", "/api/tokens/doctor/{doctorId}"): (f"/api/tokens/doctor/{doctor}", None),
        ("GET", "/api/tokens/{tokenId}"): (f"/api/tokens/{token}", None),
        ("GET", "/api/tokens/{tokenId}/notifications"): (f"/api/tokens/{token}/notifications", None),
        ("GET", "/api/commands/{commandId}"): (f"/api/commands/{command}", None),
        ("GET", "/api/events/stream"): (f"/api/events/stream?doctorId={doctor}", None),
        ("GET", "/board"): (f"/board?doctorId={doctor}", None),
        ("GET", "/t/{code}"): (page, None),  # the link's code is the credential: every caller gets the page
        ("GET", "/t/{code}/status"): (f"{page}/status", None),
        ("POST", "/t/{code}/late"): (f"{page}/late", None),
        ("POST", "/t/{code}/cancel"): (f"{page}/cancel", None),
        ("POST", "/api/inbound/sms"): ("/api/inbound/sms", {"from": "+91 98200 00001", "text": "STATUS"}),
        ("GET", "/healthz"): ("/healthz", None),
        ("GET", "/readyz"): ("/readyz", None),
        ("GET", "/metrics"): ("/metrics", None),
        ("GET", "/api/openapi.json"): ("/api/openapi.json", None),
        ("GET", "/api/docs"): ("/api/docs", None),
        ("GET", "/api/docs/assets/{name}"): ("/api/docs/assets/swagger-ui.css", None),
        ("GET", "/fonts/{name}"): ("/fonts/NotoSansDevanagari-Regular.ttf", None),
        ("GET", "/fhir/metadata"): ("/fhir/metadata", None),
        ("GET", "/fhir/Practitioner"): ("/fhir/Practitioner?specialty=ENT", None),
        ("GET", "/fhir/Practitioner/{id}"): (f"/fhir/Practitioner/{doctor}", None),
        ("GET", "/fhir/Schedule/{id}"): (f"/fhir/Schedule/{doctor}", None),
        ("GET", "/fhir/Slot"): (f"/fhir/Slot?schedule={doctor}", None),
        ("GET", "/fhir/Slot/{id}"): (f"/fhir/Slot/{doctor}-20261201-0900-1000", None),
        ("GET", "/fhir/Appointment"): (f"/fhir/Appointment?practitioner={doctor}", None),
        ("GET", "/fhir/Appointment/{id}"): (f"/fhir/Appointment/{token}", None),
        ("POST", "/fhir/Appointment"): ("/fhir/Appointment", _fhir_booking(doctor)),
        ("PUT", "/fhir/Appointment/{id}"): (
            f"/fhir/Appointment/{token}",
            {**_fhir_booking(doctor), "status": "cancelled"},
        ),
        ("PATCH", "/fhir/Appointment/{id}"): (
            f"/fhir/Appointment/{token}",
            [{"op": "replace", "path": "/status", "value": "cancelled"}],
        ),
    }


async def _error_body(response: aiohttp.ClientResponse) -> dict[str, Any]:
    """A JSON body as is; an OperationOutcome (the FHIR routes) as the REST error's ``code``; else nothing."""
    if response.content_type == "application/json":
        body: dict[str, Any] = await response.json()
        return body
    if response.content_type == "application/fhir+json":
        outcome = await response.json(content_type=None)
        if outcome.get("resourceType") == "OperationOutcome":
            return {"code": outcome["issue"][0].get("details", {}).get("coding", [{}])[0].get("code")}
    return {}


def _admitted(access: Access, who: str) -> bool:
    """Whether the route lets this caller through (a patient route: everyone here presents the code)."""
    if access in (Access.PUBLIC, Access.PATIENT):
        return True
    assert access.role is not None
    return RANK[who] >= access.role.rank


async def test_every_registered_route_admits_exactly_the_roles_it_declares(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    booked = await book(api, doctor["id"], "Matrix Holder")
    calls = _route_calls(doctor["id"], booked["token"]["id"], booked["commandId"], booked["statusPage"])
    routes = [r for r in api.app.router.routes() if r.method != "HEAD"]
    registered = {(r.method, r.resource.canonical) for r in routes if r.resource is not None}
    assert registered == calls.keys(), "a route without a matrix entry, or an entry without a route"
    checked = 0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for route in routes:
            assert route.resource is not None
            method, template = route.method, route.resource.canonical
            access = access_of(route.handler)
            assert access is not None, f"{method} {template} declares no access"
            if (method, template) in ROUTE_COMMANDS:
                assert access.value == LEAST_ROLE[ROUTE_COMMANDS[method, template]], (method, template)
            if (method, template) in LINK_COMMANDS:
                assert access is Access.PUBLIC and LEAST_ROLE[LINK_COMMANDS[method, template]] is Role.BOOKING
            path, body = calls[method, template]
            for who in ("anonymous", "booking", "staff", "admin", "invalid"):
                headers = {"X-Cancel-Code": booked["cancelCode"]}
                if who != "anonymous":
                    headers["X-API-Key"] = API_KEYS.get(who, "not-a-key")
                async with session.request(method, api.make_url(path), json=body, headers=headers) as response:
                    status = response.status
                    answer = await _error_body(response)
                where = (who, method, template, status, answer)
                if who == "invalid":
                    assert (status, answer.get("code")) == (401, "INVALID_API_KEY"), where
                elif (method, template) in SIGNED_ROUTES:
                    assert access is Access.PUBLIC and (status, answer.get("code")) == (401, "UNAUTHENTICATED"), where
                elif _admitted(access, who):
                    assert status not in (401, 403), where
                elif who == "anonymous":
                    assert (status, answer.get("code")) == (401, "UNAUTHENTICATED"), where
                else:
                    assert (status, answer.get("code")) == (403, "FORBIDDEN"), where
                checked += 1
    assert checked == len(calls) * 5


# ---------------------------------------------------------------------------------------------------- AMQP


def _samples(doctor: UUID, token: str, shard: int, code: str | None = None) -> dict[str, dict[str, Any]]:
    """A valid payload for every command type (a cancel with the token's ``code``, if given)."""
    patient = {"doctorId": str(doctor), "patientName": f"Amqp {uuid4().hex[:6]}", "patientAge": 33}
    return {
        "CreateDoctor": {"doctorId": str(uuid4()), "name": "Dr. Amqp", "specialization": "ENT", **SLOTS},
        "UpdateDoctorSlots": {"doctorId": str(doctor), **SLOTS},
        "MarkDoctorUnavailable": {"doctorId": str(doctor), "date": "2026-12-09"},
        "BookToken": {**patient, "source": "walkin"},
        "AddEmergency": patient,
        "CancelToken": {"doctorId": str(doctor), "tokenId": token, **({"cancelCode": code} if code else {})},
        "MarkNoShow": {"doctorId": str(doctor), "tokenId": token},
        "CheckIn": {"doctorId": str(doctor), "tokenId": token},
        "CallNext": {"doctorId": str(doctor)},
        "CompleteToken": {"doctorId": str(doctor), "tokenId": token},
        "RecallToken": {"doctorId": str(doctor), "tokenId": token, **({"cancelCode": code} if code else {})},
        "DelayDoctor": {"doctorId": str(doctor), "minutes": 5},
        "Reallocate": {"doctorId": str(doctor)},
        "Tick": {"shard": shard},
    }


def _command(kind: str, payload: dict[str, Any], caller: Caller | None = None) -> AnyCommand:
    return COMMAND_BY_TYPE[kind].model_validate(
        {
            "commandId": str(uuid4()),
            "issuedAt": datetime.now(UTC).isoformat(),
            "source": "matrix",
            "type": kind,
            "caller": caller.model_dump(mode="json") if caller else None,
            "payload": payload,
        }
    )


async def _unsigned(connection: aio_pika.abc.AbstractConnection, topology: Topology, command: AnyCommand) -> Reply:
    """Published without ``user_id``: nobody the broker vouches for."""
    channel = await connection.channel()
    answers: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
    await (await channel.declare_queue(REPLY_TO, passive=True)).consume(answers.put, no_ack=True)
    exchange = await channel.get_exchange(topology.commands_exchange, ensure=False)
    key = topology.shard_routing_key(command.shard(topology.shard_count))
    await exchange.publish(aio_pika.Message(encode(command), reply_to=REPLY_TO, correlation_id="unsigned"), key)
    reply = decode_reply((await asyncio.wait_for(answers.get(), 10)).body)
    await channel.close()
    return reply


async def test_every_command_type_is_refused_over_amqp_to_whoever_lacks_its_role(
    api: ApiClient,
    allocator: Running,
    topology: Topology,
    kiosk_url: str,
    amqp_connection: aio_pika.abc.AbstractConnection,
) -> None:
    doctor = await create_doctor(api)
    doctor_id = UUID(doctor["id"])
    shard = shard_for(doctor_id, SHARD_COUNT)
    held = await book(api, doctor["id"], "Amqp Holder")
    token, code = held["token"]["tokenNumber"], held["cancelCode"]
    assert set(_samples(doctor_id, token, shard)) == set(COMMAND_BY_TYPE) == set(LEAST_ROLE)
    relay = CommandBus(AMQP_URL, topology, "matrix-relay")  # guest: a system login that may relay
    kiosk = CommandBus(kiosk_url, topology, "matrix-kiosk", declare_topology=False)
    Send = Callable[[AnyCommand], Any]
    senders: list[tuple[str, Role | None, Caller | None, Send]] = [
        ("unsigned", None, None, lambda c: _unsigned(amqp_connection, topology, c)),
        ("kiosk", Role.BOOKING, None, lambda c: kiosk.request(c, 10)),
        ("system", Role.SYSTEM, None, lambda c: relay.request(c, 10)),
    ]
    for relayed in (Role.BOOKING, Role.STAFF, Role.ADMIN):
        senders.append((f"relayed {relayed}", relayed, Caller(name=f"matrix-{relayed}", role=relayed), senders[2][3]))
    checked = 0
    try:
        for kind in sorted(COMMAND_BY_TYPE):
            for who, role, caller, send in senders:
                command = _command(kind, _samples(doctor_id, token, shard, code)[kind], caller)
                reply = await send(command)
                assert reply is not None, (kind, who)
                needed = required_role(command)
                forbidden = role is None or needed is None or not role.includes(needed)
                refused = reply.error is not None and reply.error.code == "FORBIDDEN"
                assert refused == forbidden, (kind, who, reply)
                checked += 1
    finally:
        await relay.close()
        await kiosk.close()
    assert checked == len(COMMAND_BY_TYPE) * 6


# ------------------------------------------------------------------------------------------- the attacks


async def test_a_kiosk_login_cannot_create_add_emergencies_delay_or_cancel_another_patients_token(
    api: ApiClient,
    allocator: Running,
    topology: Topology,
    kiosk_url: str,
    pg: asyncpg.Connection,
    amqp_connection: aio_pika.abc.AbstractConnection,
) -> None:
    doctor = await create_doctor(api)
    doctor_id = UUID(doctor["id"])
    victim = (await book(api, doctor["id"], "Victim Patient Name"))["token"]
    samples = _samples(doctor_id, victim["tokenNumber"], shard_for(doctor_id, SHARD_COUNT))
    kiosk = CommandBus(kiosk_url, topology, "attacker-kiosk", declare_topology=False)
    try:
        replies = {
            kind: await kiosk.request(_command(kind, samples[kind]), 10)
            for kind in ("CreateDoctor", "AddEmergency", "DelayDoctor", "CancelToken")
        }
        impersonating = await kiosk.request(
            _command("CancelToken", samples["CancelToken"], Caller(name="desk", role=Role.ADMIN)), 10
        )
    finally:
        await kiosk.close()
    for kind, reply in [*replies.items(), ("impersonating", impersonating)]:
        assert reply is not None and reply.error is not None and reply.error.code == "FORBIDDEN", (kind, reply)
        assert "Victim" not in encode(reply).decode(), kind
    assert await pg.fetchval("SELECT count(*) FROM doctors") == 1
    assert await pg.fetchval("SELECT status FROM tokens WHERE id = $1", UUID(victim["id"])) == "confirmed"
    assert await pg.fetchval("SELECT count(*) FROM tokens WHERE is_emergency") == 0
    dlq = await (await amqp_connection.channel()).get_queue(topology.commands_dlq)
    parked = [await dlq.get(timeout=5) for _ in range(4)]  # the uncoded cancel is a refusal like any other
    assert {message.headers["x-opd-error-code"] for message in parked} == {"FORBIDDEN"}


@pytest.fixture
async def two_booking_apps(gateway_settings: GatewaySettings, clock: Any) -> AsyncIterator[tuple[ApiClient, ...]]:
    """Two patient apps with booking keys of their own, and a staff desk, on one gateway."""
    keys = {"app-a": f"a-{uuid4().hex}", "app-b": f"b-{uuid4().hex}"}
    own = [f"{name}:booking:{hashlib.sha256(key.encode()).hexdigest()}" for name, key in keys.items()]
    entries = ",".join([key_entries(API_KEYS), *own])
    app = create_app(gateway_settings.model_copy(update={"api_keys": entries}), clock)
    server = TestServer(app)
    clients = [
        TestClient(server, headers={"X-API-Key": key}) for key in (keys["app-a"], keys["app-b"], API_KEYS["staff"])
    ]
    await clients[0].start_server()
    yield tuple(clients)
    for client in clients:
        await client.close()


async def test_commands_and_their_outcomes_belong_to_their_caller(
    api: ApiClient, allocator: Running, two_booking_apps: tuple[ApiClient, ...], topology: Topology
) -> None:
    app_a, app_b, staff = two_booking_apps
    doctor = await create_doctor(api)
    headers = {"Idempotency-Key": "order-1"}
    first = await app_a.post(
        "/api/tokens", json={"doctorId": doctor["id"], "patientName": "Asha Private", "patientAge": 30}, headers=headers
    )
    second = await app_b.post(
        "/api/tokens", json={"doctorId": doctor["id"], "patientName": "Bina Other", "patientAge": 40}, headers=headers
    )
    a, b = await first.json(), await second.json()
    assert (first.status, second.status) == (201, 201)  # the same key from another caller is its own command
    assert a["commandId"] != b["commandId"]

    stolen = await app_b.get(f"/api/commands/{a['commandId']}")
    assert stolen.status == 404 and "Asha" not in await stolen.text()
    own = await app_a.get(f"/api/commands/{a['commandId']}")
    assert own.status == 201 and (await own.json())["cancelCode"] == a["cancelCode"]
    assert (await own.json())["statusPage"] == a["statusPage"]
    desk = await staff.get(f"/api/commands/{a['commandId']}")
    assert desk.status == 201 and "cancelCode" not in await desk.json()  # the patient's code is its issuer's alone
    assert "/t/" not in await desk.text()  # and so is the status link

    relay = CommandBus(AMQP_URL, topology, "replayer")
    try:
        replayed = _command(
            "BookToken",
            {"doctorId": doctor["id"], "patientName": "Asha Private", "patientAge": 30},
            Caller(name="someone-else", role=Role.BOOKING),
        ).model_copy(update={"command_id": UUID(a["commandId"])})
        answer = await relay.request(replayed, 10)
    finally:
        await relay.close()
    assert answer is not None and answer.error is not None and answer.error.code == "COMMAND_NOT_YOURS"
    assert "Asha" not in encode(answer).decode()


async def test_a_booking_key_cannot_read_a_token_without_its_cancel_code(
    api: ApiClient, allocator: Running, two_booking_apps: tuple[ApiClient, ...]
) -> None:
    app_a, app_b, staff = two_booking_apps
    doctor = await create_doctor(api)
    mine = await (
        await app_a.post("/api/tokens", json={"doctorId": doctor["id"], "patientName": "Own Patient", "patientAge": 30})
    ).json()
    theirs = await book(api, doctor["id"], "Somebody Private", phone="+91 90000 55555")
    number = theirs["token"]["tokenNumber"]

    for client in (app_a, app_b):
        enumerated = await client.get(f"/api/tokens/{number}")
        assert enumerated.status == 403 and "Somebody" not in await enumerated.text()
    wrong = await app_a.get(f"/api/tokens/{number}", headers={"X-Cancel-Code": mine["cancelCode"]})
    assert (wrong.status, (await wrong.json())["code"]) == (403, "INVALID_CANCEL_CODE")
    assert (await app_a.get(f"/api/tokens/{mine['token']['id']}?code={mine['cancelCode']}")).status == 200
    assert (await staff.get(f"/api/tokens/{number}")).status == 200


async def test_replies_go_only_to_direct_reply_to_and_oversized_commands_are_parked_without_their_body(
    api: ApiClient,
    allocator: Running,
    topology: Topology,
    amqp_connection: aio_pika.abc.AbstractConnection,
    pg: asyncpg.Connection,
) -> None:
    doctor = await create_doctor(api)
    doctor_id = UUID(doctor["id"])
    channel = await amqp_connection.channel()
    victim = await channel.declare_queue(f"{topology.prefix}.victim", auto_delete=True)
    exchange = await channel.get_exchange(topology.commands_exchange, ensure=False)
    key = topology.shard_routing_key(shard_for(doctor_id, SHARD_COUNT))
    hijack = _command("BookToken", {"doctorId": doctor["id"], "patientName": "Hijack Reply", "patientAge": 30})
    await exchange.publish(aio_pika.Message(encode(hijack), reply_to=victim.name, user_id="guest"), key)
    huge = _command("BookToken", {"doctorId": doctor["id"], "patientName": "Huge", "patientAge": 30})
    padded = encode(huge)[:-1] + b', "padding": "' + b"x" * 70_000 + b'"}'
    answers: asyncio.Queue[aio_pika.abc.AbstractIncomingMessage] = asyncio.Queue()
    await (await channel.declare_queue(REPLY_TO, passive=True)).consume(answers.put, no_ack=True)
    await exchange.publish(aio_pika.Message(padded, reply_to=REPLY_TO, user_id="guest"), key)

    too_large = decode_reply((await asyncio.wait_for(answers.get(), 10)).body)
    assert too_large.error is not None and too_large.error.code == "COMMAND_TOO_LARGE"
    dlq = await channel.get_queue(topology.commands_dlq)
    parked = {str(m.headers["x-opd-error-code"]): m for m in [await dlq.get(timeout=5) for _ in range(2)]}
    assert parked.keys() == {"INVALID_REPLY_TO", "COMMAND_TOO_LARGE"}
    assert (
        parked["COMMAND_TOO_LARGE"].body == b""
        and int(cast(int, parked["COMMAND_TOO_LARGE"].headers["x-opd-body-bytes"])) > 70_000  # parked as an int
    )
    assert victim.name in str(parked["INVALID_REPLY_TO"].headers["x-opd-error"])
    assert await victim.get(fail=False) is None
    assert await pg.fetchval("SELECT count(*) FROM tokens") == 0


# ------------------------------------------------------------------------------------------- smaller doors


async def test_bodies_must_be_json_and_booleans_are_not_numbers(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    form = await api.post("/api/tokens", data={"doctorId": doctor["id"], "patientName": "Form", "patientAge": "30"})
    assert (form.status, (await form.json())["code"]) == (415, "UNSUPPORTED_MEDIA_TYPE")
    for field, value in (("patientAge", True), ("waitlist", "no")):
        body = {"doctorId": doctor["id"], "patientName": "Strict", "patientAge": 30, field: value}
        response = await api.post("/api/tokens", json=body)
        assert response.status == 400, (field, await response.text())
    numeric_text = await api.post(
        "/api/tokens", json={"doctorId": doctor["id"], "patientName": "From A Form", "patientAge": "41"}
    )
    assert numeric_text.status == 201 and (await numeric_text.json())["token"]["patientAge"] == 41


async def test_live_streams_are_capped_per_address_and_the_server_header_names_no_versions(
    gateway_settings: GatewaySettings, clock: Any, allocator: Running
) -> None:
    settings = gateway_settings.model_copy(update={"feed_max_streams_per_address": 1})
    async with TestClient(TestServer(create_app(settings, clock)), headers={"X-API-Key": API_KEYS["admin"]}) as api:
        doctor = await create_doctor(api)
        path = f"/api/events/stream?doctorId={doctor['id']}"
        first = await api.get(path)
        assert first.status == 200
        second = await api.get(path)
        assert (second.status, (await second.json())["code"]) == (429, "RATE_LIMITED")
        first.close()
        for _ in range(50):  # the server notices the closed stream on its next write or heartbeat
            third = await api.get(path)
            if third.status == 200:
                break
            await asyncio.sleep(0.1)
        assert third.status == 200
        third.close()
        served = await api.get("/healthz")
    assert served.headers["Server"] == "opd-gateway"


async def test_a_delay_reason_typed_by_a_desk_is_shown_to_staff_only(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    await book(api, doctor["id"], "Waiting Patient")
    for reason, public in (("Mrs Sharma's biopsy ran over", None), ("Ward round", "ward round")):
        delayed = await api.post(f"/api/doctors/{doctor['id']}/delay", json={"minutes": 10, "reason": reason})
        assert delayed.status == 200
        queue = api.make_url(f"/api/doctors/{doctor['id']}/queue")
        async with aiohttp.ClientSession() as anonymous, anonymous.get(queue) as response:
            seen = await response.json()
        staff = await (await api.get(f"/api/doctors/{doctor['id']}/queue")).json()
        assert (seen["delayReason"], staff["delayReason"]) == (public, reason)
