"""``opd simulate``: the original scenario on the real services (started here on the local servers, or running
ones), with a webhook sink capturing the notifications; prints the timeline, schedules, summary and checks, and
writes the HTML report."""

import asyncio
import hashlib
import secrets
import time
from collections.abc import Coroutine
from datetime import datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
from aiohttp import web

from deploy import supervisor
from deploy.cli_migrate import fresh_database
from deploy.kiosk.client import Kiosk
from deploy.simulation.checks import scenario_checks
from deploy.simulation.client import OpdClient, sink_received
from deploy.simulation.html_report import render, write
from deploy.simulation.live_record import live_record
from deploy.simulation.progress import day_progress
from deploy.simulation.report import notifications_label, print_report
from deploy.simulation.scenario import DayPlan, Outcome, Scenario
from deploy.simulation.summary import rows, summarize
from deploy.simulation.timeline import build
from deploy.sink import create_app as create_sink
from notifier.templates import MESSAGES
from shared import db
from shared.clock import Clock, ScaledClock, clock_from_settings
from shared.settings import CommonSettings

SIMULATION_DATABASE = "opd_sim"
SIMULATION_PREFIX = "opdsim"
DAY_STARTS_AT = clock_time(8, 45)
LOCAL_GRACE = timedelta(minutes=5)  # the no-show grace of the services started here: a shorter wait at the end
SINK_WAIT_SECONDS = 15.0  # for the notifier to deliver the last messages after the day
QUIET_TYPES = frozenset({"token.eta_changed"})  # coalesced by the notifier: not every one is delivered


async def _sink_notes(sink_url: str, outcome: Outcome) -> list[dict[str, Any]]:
    """What the sink received, once every message the day's events call for has arrived (or after a while)."""
    expected = {e["eventId"] for e in outcome.feed if e["type"] in MESSAGES and e["type"] not in QUIET_TYPES}
    deadline = time.monotonic() + SINK_WAIT_SECONDS
    async with aiohttp.ClientSession() as session:
        while True:
            notes = await sink_received(session, sink_url)
            if expected <= {note["eventId"] for note in notes} or time.monotonic() > deadline:
                return notes
            await asyncio.sleep(0.2)


async def _play(
    base_url: str,
    clock: Clock,
    speed: float,
    zone: ZoneInfo,
    grace: timedelta,
    sink_url: str | None,
    api_key: str | None,
    report: Path,
    kiosk: Kiosk,
    sms_secret: str | None = None,
) -> int:
    started = time.monotonic()
    await supervisor.wait_until_ready(base_url)
    plan = DayPlan.starting(clock.now().astimezone(zone), speed, grace)
    headers = {"X-API-Key": api_key} if api_key else None
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        kiosk,
        day_progress(clock, clock.now(), plan.closes) as step,
    ):
        client = OpdClient(session, base_url)
        outcome = await Scenario(client, clock, plan, zone, kiosk, sms_secret, step).run()
    notes = await _sink_notes(sink_url, outcome) if sink_url else None
    record = live_record(outcome, notes, zone)
    summary = summarize(record)
    codes = {doctor["id"]: doctor["code"] for doctor in outcome.doctors}
    timeline = build(outcome.actions, outcome.feed, notes, codes, zone)
    checks = scenario_checks(outcome, record, notes)
    print_report(outcome, timeline, summary, checks, notes)
    figures = [("figure", "value"), *rows(summary, notifications_label(notes))]
    intro = [f"The original scenario through the real services, {plan.first:%Y-%m-%d}, clock at {speed:g}x."]
    path = write(report, render("OPD day simulation", intro, figures, [("live services", record)], timeline))
    print(f"\nReport: {path}")
    print(f"Played in {time.monotonic() - started:.1f} s")
    return 0 if all(checks.values()) else 1


async def _with_sink(port: int, secret: str, play: Coroutine[Any, Any, int]) -> int:
    """Serve the webhook sink (quietly: the report shows what it got) while the scenario plays."""
    runner = web.AppRunner(create_sink(secret, echo=False))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        return await play
    finally:
        await runner.cleanup()


def run_scenario(base_url: str | None, speed: float, sink_url: str | None, api_key: str | None, report: Path) -> int:
    """On running services at ``base_url`` (their clock, an optional sink), else on services started here."""
    settings = CommonSettings()
    if base_url:
        clock = clock_from_settings(settings.clock_start, settings.clock_speed, settings.clock_origin)
        grace = timedelta(minutes=15)  # the services' default; nothing tells what theirs is
        kiosk = Kiosk(settings.amqp_url, settings.broker_prefix, settings.shard_count, name="simulation-kiosk")
        play = _play(base_url, clock, settings.clock_speed, settings.zone, grace, sink_url, api_key, report, kiosk)
        return asyncio.run(play)
    dsn = db.with_database(settings.database_url, SIMULATION_DATABASE)
    asyncio.run(fresh_database(dsn))
    today = datetime.now(settings.zone).date()
    start = datetime.combine(today, DAY_STARTS_AT, tzinfo=settings.zone)
    origin = time.time()
    port, sink_port = supervisor.free_port(), supervisor.free_port()
    key, sink_secret, sms_secret = secrets.token_urlsafe(24), secrets.token_urlsafe(24), secrets.token_urlsafe(24)
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
        "OPD_NO_SHOW_GRACE_MINUTES": str(int(LOCAL_GRACE.total_seconds() // 60)),
        "OPD_WEBHOOK_URL": f"http://127.0.0.1:{sink_port}/webhook",
        "OPD_WEBHOOK_SECRET": sink_secret,
        # The gateway's access control: one admin key for this run; no rate limit slows the accelerated day.
        "OPD_API_KEYS": f"simulation:admin:{hashlib.sha256(key.encode()).hexdigest()}",
        "OPD_CANCEL_CODE_SECRET": secrets.token_urlsafe(24),
        "OPD_RATE_LIMIT_PER_KEY": "100000",
        "OPD_RATE_LIMIT_BURST_PER_KEY": "100000",
        "OPD_LINK_READS_PER_MINUTE": "100000",  # a patient reads their page every simulated minute
        # Patients' own pages and their SMS replies (the scenario plays an SMS gateway).
        "OPD_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "OPD_INBOUND_SMS_SECRET": sms_secret,
    }
    print(
        f"Simulated OPD day {today}, clock from {DAY_STARTS_AT:%H:%M} at {speed:g}x; services on port {port}, "
        f"webhook sink on port {sink_port}\n"
    )
    processes = supervisor.start_services(env)
    try:
        clock = ScaledClock(start, speed, origin)
        base = f"http://127.0.0.1:{port}"
        sink = f"http://127.0.0.1:{sink_port}"

        async def main() -> int:
            kiosk = Kiosk(settings.amqp_url, SIMULATION_PREFIX, settings.shard_count, name="simulation-kiosk")
            play = _play(base, clock, speed, settings.zone, LOCAL_GRACE, sink, key, report, kiosk, sms_secret)
            return await _with_sink(sink_port, sink_secret, play)

        return asyncio.run(main())
    finally:
        supervisor.stop_services(processes)
