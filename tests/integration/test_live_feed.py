"""The live feed through the gateway: SSE frames in order, public fields only, per-doctor filtering."""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit
from uuid import uuid4

import orjson
from aiohttp import ClientResponse
from aiohttp.test_utils import TestClient, TestServer

from gateway.app import create_app
from gateway.live_feed import FeedItem, LiveFeed, SubscriptionEnded
from gateway.settings import GatewaySettings
from shared.clock import ManualClock
from shared.topology import Topology
from tests.conftest import ADMIN_HEADERS, AMQP_URL
from tests.support.api import ApiClient, book, create_doctor
from tests.support.proxy import TcpProxy
from tests.support.services import Running, eventually

NAME, PHONE, EMAIL = "Asha Verma-Secretname", "+919812345678", "asha.secret@example.org"


class SseReader:
    """Reads an SSE response in the background: frames (id, event, data) and comment lines, plus the raw bytes."""

    def __init__(self, response: ClientResponse) -> None:
        self.response = response
        self.frames: list[dict[str, Any]] = []
        self.comments: list[str] = []
        self.raw = bytearray()
        self.ended = asyncio.Event()
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        frame: dict[str, str] = {}
        try:
            async for line in self.response.content:
                self.raw += line
                text = line.decode().rstrip("\r\n")
                if not text:
                    if "data" in frame:
                        self.frames.append({**frame, "data": orjson.loads(frame["data"])})
                    frame = {}
                elif text.startswith(":"):
                    self.comments.append(text[1:].strip())
                else:
                    field, _, value = text.partition(":")
                    frame[field] = value.removeprefix(" ")
        finally:
            self.ended.set()

    def types(self) -> list[str]:
        return [frame["event"] for frame in self.frames]

    async def wait_for(self, *types: str, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until every one of these event types has arrived; returns all frames so far."""

        async def probe() -> list[dict[str, Any]] | None:
            return self.frames if set(types) <= set(self.types()) else None

        return await eventually(probe, timeout=timeout)

    async def close(self) -> None:
        self.response.close()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


@contextlib.asynccontextmanager
async def sse(api: ApiClient, query: str) -> AsyncIterator[SseReader]:
    response = await api.get(f"/api/events/stream?{query}")
    assert response.status == 200, await response.text()
    assert response.content_type == "text/event-stream"
    reader = SseReader(response)
    await eventually(_probe(lambda: "connected" in reader.comments))  # the feed is bound: nothing is missed
    try:
        yield reader
    finally:
        await reader.close()


def _probe(check: Callable[[], bool]) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return check()

    return probe


async def _post(api: ApiClient, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    response = await api.post(path, json=body or {})
    answer: dict[str, Any] = await response.json()
    assert response.status == 200, answer
    return answer


async def test_called_up_next_and_promoted_arrive_in_order_without_patient_data(
    api: ApiClient, allocator: Running, clock: ManualClock
) -> None:
    doctor = await create_doctor(api, capacity=2, reserved=0)

    def contact(n: int) -> dict[str, Any]:  # extra fields of the booking body
        return {"phone": f"{PHONE}{n}", "email": f"{n}{EMAIL}", "timeSlot": "09:00-10:00"}

    a = (await book(api, doctor["id"], NAME, **contact(1)))["token"]
    b = (await book(api, doctor["id"], f"{NAME} B", **contact(2)))["token"]
    async with sse(api, f"doctorId={doctor['id']}") as feed:
        c = (await book(api, doctor["id"], f"{NAME} C", waitlist=True, **contact(3)))["token"]
        assert c["status"] == "pending"
        response = await api.put(f"/api/tokens/{b['id']}/cancel", json={"reason": f"{NAME} is unwell, call {PHONE}"})
        assert response.status == 200, await response.text()
        clock.set(clock.now().replace(hour=9, minute=1))
        await _post(api, f"/api/doctors/{doctor['id']}/call-next")
        frames = await feed.wait_for("token.called", "token.up_next")

    wanted = ["token.waitlisted", "token.cancelled", "token.promoted", "token.called", "token.up_next"]
    assert [t for t in feed.types() if t in wanted] == wanted, feed.types()
    by_type = {frame["event"]: frame["data"] for frame in frames}
    assert by_type["token.promoted"]["token"]["tokenNumber"] == c["tokenNumber"]
    assert by_type["token.called"]["token"]["tokenNumber"] == a["tokenNumber"]
    assert by_type["token.up_next"]["token"]["shortNumber"] == c["shortNumber"]
    sequences = [frame["data"]["sequence"] for frame in frames]
    assert sequences == sorted(sequences) and len(set(sequences)) == len(sequences)
    assert all(frame["id"] == frame["data"]["eventId"] for frame in frames)
    assert {frame["data"]["doctorId"] for frame in frames} == {doctor["id"]}
    raw = feed.raw.decode()
    for secret in (NAME, "Asha", PHONE, "9812345678", EMAIL, "patientName", "phone", "email"):
        assert secret not in raw, secret


async def test_a_stream_carries_only_its_doctors_and_types(api: ApiClient, allocator: Running) -> None:
    mine = await create_doctor(api, name="Dr. Mine")
    other = await create_doctor(api, name="Dr. Other")
    async with (
        sse(api, f"doctorId={mine['id']}") as only_mine,
        sse(api, f"doctorId={other['id']},{mine['id']}&types=token.confirmed") as both_confirmed,
    ):
        await book(api, other["id"], "Other patient")
        await book(api, mine["id"], "My patient")
        await book(api, mine["id"], "Second", waitlist=True, timeSlot="09:00-10:00")
        await only_mine.wait_for("token.confirmed")
        await eventually(_probe(lambda: len(both_confirmed.frames) >= 3))
        await asyncio.sleep(0.3)  # anything unwanted would have arrived by now

    assert {frame["data"]["doctorId"] for frame in only_mine.frames} == {mine["id"]}
    assert set(both_confirmed.types()) == {"token.confirmed"}
    assert {frame["data"]["doctorId"] for frame in both_confirmed.frames} == {mine["id"], other["id"]}


async def test_bad_stream_requests_are_refused_with_json(api: ApiClient, allocator: Running) -> None:
    doctor = await create_doctor(api)
    for query, status in (
        ("", 400),
        ("doctorId=not-a-uuid", 400),
        (f"doctorId={doctor['id']}&types=token.exploded", 400),
        (f"doctorId={uuid4()}", 404),
    ):
        response = await api.get(f"/api/events/stream?{query}")
        assert (response.status, response.content_type) == (status, "application/json"), query
        assert (await response.json())["success"] is False


async def test_heartbeats_flow_and_streams_end_when_the_gateway_stops(
    gateway_settings: GatewaySettings, clock: ManualClock, allocator: Running
) -> None:
    settings = gateway_settings.model_copy(update={"feed_heartbeat_seconds": 0.1})
    client = TestClient(TestServer(create_app(settings, clock)), headers=ADMIN_HEADERS)
    await client.start_server()
    try:
        doctor = await create_doctor(client)
        async with sse(client, f"doctorId={doctor['id']}") as feed:
            await eventually(_probe(lambda: feed.comments.count("heartbeat") >= 2))
            await asyncio.wait_for(client.close(), 5)  # SSE handlers are finished, not waited out
            await asyncio.wait_for(feed.ended.wait(), 5)
    finally:
        await client.close()


async def test_a_slow_subscriber_is_dropped_and_never_holds_up_the_others() -> None:
    feed = LiveFeed("amqp://unused", Topology("unused", 1), buffer_size=3)
    doctor = uuid4()
    async with feed.subscribe(frozenset({doctor})) as slow, feed.subscribe(frozenset({doctor})) as fast:
        received = []
        for n in range(10):
            feed.publish(doctor, "token.called", FeedItem(id=str(n), event="token.called", data={"n": n}))
            item = await fast.next(timeout=1)
            assert item is not None
            received.append(item.id)
        assert received == [str(n) for n in range(10)]
        assert feed.subscribers == 1  # the slow one is gone
        try:
            await slow.next(timeout=0.1)
            raise AssertionError("a dropped subscriber must end")
        except SubscriptionEnded as ended:
            assert "slow" in str(ended)
    await feed.close()


async def test_the_feed_survives_a_broker_drop_and_tells_clients_to_resync(
    gateway_settings: GatewaySettings, clock: ManualClock, allocator: Running
) -> None:
    target = urlsplit(AMQP_URL)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 5672)
    await proxy.start()
    proxied = target._replace(netloc=f"guest:guest@127.0.0.1:{proxy.port}").geturl()
    settings = gateway_settings.model_copy(update={"amqp_url": proxied, "feed_heartbeat_seconds": 0.2})
    try:
        async with TestClient(TestServer(create_app(settings, clock)), headers=ADMIN_HEADERS) as client:
            doctor = await create_doctor(client)
            async with sse(client, f"doctorId={doctor['id']}") as feed:
                await proxy.cut()
                await asyncio.sleep(0.5)
                await proxy.restore()
                await feed.wait_for("resync")
                assert feed.frames[-1]["data"] == {"doctorIds": [doctor["id"]]}
                await book(client, doctor["id"], "After the outage")
                await feed.wait_for("token.confirmed")
                assert not feed.ended.is_set()
    finally:
        await proxy.cut()
