"""``opd simulate``: start the services on the local servers (or use running ones) and play the scenario."""

import asyncio
import socket
import time
from datetime import datetime
from datetime import time as clock_time
from typing import Any

import aiohttp
import asyncpg

from deploy import supervisor
from deploy.cli_migrate import migrate_database
from deploy.simulation.client import OpdClient
from deploy.simulation.report import print_report
from deploy.simulation.scenario import Timeline, run
from shared import db
from shared.clock import Clock, ScaledClock, clock_from_settings
from shared.settings import CommonSettings

SIMULATION_DATABASE = "opd_sim"
SIMULATION_PREFIX = "opdsim"
DAY_STARTS_AT = clock_time(8, 45)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def _wait_ready(base_url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while True:
            try:
                async with session.get(base_url + "/readyz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"services at {base_url} not ready after {timeout:.0f}s")
            await asyncio.sleep(0.2)


async def _notifications(dsn: str, doctor_ids: list[str]) -> list[dict[str, Any]]:
    await asyncio.sleep(1.0)  # let the notifier catch up with the last events
    connection = await db.connect(dsn)
    try:
        rows = await connection.fetch(
            """SELECT n.event_type, n.channel, n.status, n.message, t.patient_name
                 FROM notifications n LEFT JOIN tokens t ON t.id = n.token_id
                WHERE n.doctor_id = any($1::uuid[]) ORDER BY n.id""",
            doctor_ids,
        )
    finally:
        await connection.close()
    return [dict(row) for row in rows]


async def _play(base_url: str, clock: Clock, speed: float, settings: CommonSettings, dsn: str) -> int:
    await _wait_ready(base_url)
    timeline = Timeline(clock, settings.zone)
    async with aiohttp.ClientSession() as session:
        outcome = await run(OpdClient(session, base_url), clock, speed, settings.zone, timeline)
    doctor_ids = [schedule["doctor"]["id"] for schedule in outcome.doctors]
    try:
        notes = await _notifications(dsn, doctor_ids)
    except (OSError, asyncpg.PostgresError):
        notes = []
    print_report(outcome, notes)
    return 0 if all(outcome.checks.values()) else 1


def run_scenario(base_url: str | None, speed: float) -> int:
    """Exit code 0 when every check of the scenario passed."""
    settings = CommonSettings()
    if base_url:
        clock = clock_from_settings(settings.clock_start, settings.clock_speed, settings.clock_origin)
        return asyncio.run(_play(base_url, clock, settings.clock_speed, settings, settings.database_url))
    dsn = db.with_database(settings.database_url, SIMULATION_DATABASE)
    asyncio.run(migrate_database(dsn))
    today = datetime.now(settings.zone).date()
    start = datetime.combine(today, DAY_STARTS_AT, tzinfo=settings.zone)
    origin = time.time()
    port = _free_port()
    env = {
        "OPD_DATABASE_URL": dsn,
        "OPD_READER_DATABASE_URL": db.with_user(dsn, "opd_reader"),
        "OPD_BROKER_PREFIX": SIMULATION_PREFIX,
        "OPD_PORT": str(port),
        "OPD_CLOCK_START": start.isoformat(),
        "OPD_CLOCK_SPEED": str(speed),
        "OPD_CLOCK_ORIGIN": str(origin),
        "OPD_LOG_LEVEL": "WARNING",
        "OPD_TICK_SECONDS": "0.5",
    }
    print(f"Simulated OPD day {today}, clock from {DAY_STARTS_AT:%H:%M} at {speed:g}x; services on port {port}\n")
    processes = supervisor.start_services(env)
    try:
        clock = ScaledClock(start, speed, origin)
        return asyncio.run(_play(f"http://127.0.0.1:{port}", clock, speed, settings, dsn))
    finally:
        supervisor.stop_services(processes)
