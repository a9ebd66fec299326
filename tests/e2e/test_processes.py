"""The services as real processes: ``opd up`` serves a booking and stops cleanly on SIGTERM."""

import asyncio
import os
import signal
import sys
import time
from datetime import datetime, timedelta
from uuid import uuid4

import aiohttp
import pytest

from deploy.supervisor import free_port
from shared import db
from shared.settings import CommonSettings
from tests.conftest import ADMIN_HEADERS, AMQP_URL, API_KEYS, SHARD_COUNT, key_entries
from tests.support.services import eventually


@pytest.mark.timeout(90)
async def test_opd_up_serves_a_booking_and_stops_on_sigterm(database: str, broker_prefix: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "OPD_DATABASE_URL": database,
        "OPD_READER_DATABASE_URL": db.with_user(database, "opd_reader"),
        "OPD_AMQP_URL": AMQP_URL,
        "OPD_BROKER_PREFIX": broker_prefix,
        "OPD_SHARD_COUNT": str(SHARD_COUNT),
        "OPD_PORT": str(port),
        "OPD_API_KEYS": key_entries(API_KEYS),
        "OPD_CANCEL_CODE_SECRET": "e2e-cancel-code-secret",
    }
    process = await asyncio.create_subprocess_exec(sys.executable, "-m", "deploy.cli", "up", env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(headers=ADMIN_HEADERS) as session:

            async def ready() -> bool:
                try:
                    async with session.get(base + "/readyz") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False

            await eventually(ready, timeout=30, interval=0.2)
            doctor = {
                "name": "Dr. Process",
                "specialization": "ENT",
                "timeSlots": [{"startTime": "00:00", "endTime": "23:59", "maxCapacity": 30}],
                "workingDays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            }
            async with session.post(base + "/api/doctors", json=doctor) as response:
                assert response.status == 201
                doctor_id = (await response.json())["doctor"]["id"]
            # Tomorrow: today's only slot has ended in the last minute of the hospital's day.
            tomorrow = datetime.now(CommonSettings().zone).date() + timedelta(days=1)
            booking = {
                "doctorId": doctor_id,
                "patientName": f"P-{uuid4().hex[:6]}",
                "patientAge": 30,
                "date": tomorrow.isoformat(),
            }
            async with session.post(base + "/api/tokens", json=booking) as response:
                body = await response.json()
                assert response.status == 201, body
                assert body["token"]["status"] in {"confirmed", "pending"}
    finally:
        process.send_signal(signal.SIGTERM)
        started = time.monotonic()
        code = await asyncio.wait_for(process.wait(), 30)
    assert code == 0
    assert time.monotonic() - started < 20


@pytest.mark.timeout(90)
async def test_opd_up_prints_its_urls_and_restarts_a_killed_allocator_alone(database: str, broker_prefix: str) -> None:
    port = free_port()
    env = {
        **os.environ,
        "OPD_DATABASE_URL": database,
        "OPD_AMQP_URL": AMQP_URL,
        "OPD_BROKER_PREFIX": broker_prefix,
        "OPD_SHARD_COUNT": str(SHARD_COUNT),
        "OPD_PORT": str(port),
        "OPD_METRICS_PORT": "0",
        "OPD_API_KEYS": key_entries(API_KEYS),
        "OPD_CANCEL_CODE_SECRET": "e2e-cancel-code-secret",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "deploy.cli", "up", env=env, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    stdout = process.stdout
    printed: list[str] = []

    async def line_with(text: str) -> str:
        while True:
            line = (await asyncio.wait_for(stdout.readline(), 30)).decode()
            assert line, "opd up stopped printing"
            printed.append(line)
            if text in line:
                return line

    def pid_of(line: str) -> int:
        return int(line.rsplit("pid ", 1)[1].rstrip(")\n"))

    try:
        assert f"http://127.0.0.1:{port}/api/docs" in await line_with("API docs")
        pids = {name: pid_of(await line_with(f"{name} started")) for name in ("allocator", "notifier", "gateway")}
        async with aiohttp.ClientSession(headers=ADMIN_HEADERS) as session:

            async def ready() -> bool:
                try:
                    async with session.get(f"http://127.0.0.1:{port}/readyz") as response:
                        return response.status == 200
                except aiohttp.ClientError:
                    return False

            await eventually(ready, timeout=30, interval=0.2)
            os.kill(pids["allocator"], signal.SIGKILL)
            killed = time.monotonic()
            assert "allocator exited (killed by SIGKILL); restarting it in" in await line_with("allocator exited")
            assert pid_of(await line_with("allocator started")) != pids["allocator"]
            doctor = {
                "name": "Dr. Restart",
                "specialization": "ENT",
                "timeSlots": [{"startTime": "00:00", "endTime": "23:59", "maxCapacity": 30}],
                "workingDays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            }
            async with session.post(f"http://127.0.0.1:{port}/api/doctors", json=doctor) as response:
                assert response.status == 201, await response.text()
            assert time.monotonic() - killed < 10  # the new allocator answered within seconds
        for name in ("notifier", "gateway"):
            os.kill(pids[name], 0)  # still the same processes: nothing else was stopped
        assert not any("notifier exited" in line or "gateway exited" in line for line in printed)
    finally:
        process.send_signal(signal.SIGTERM)
        code = await asyncio.wait_for(process.wait(), 30)
    assert code == 0
