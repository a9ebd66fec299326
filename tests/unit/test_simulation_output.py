"""What the simulation shows: the sink's capture (signed webhooks), freed-seat accounting, the timeline built from
the services' reports, the HTML report, and ``opd simulate`` for a stochastic day and a comparison."""

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient, TestServer
from typer.testing import CliRunner

from deploy.cli import app
from deploy.simulation.day_model import DayConfig, generate_day
from deploy.simulation.day_player import play
from deploy.simulation.freed import freed_seats
from deploy.simulation.html_report import render
from deploy.simulation.policies import PlayPolicy
from deploy.simulation.record import TokenEvent
from deploy.simulation.scenario import Action
from deploy.simulation.timeline import build
from deploy.sink import create_app
from shared.signatures import SIGNATURE_HEADER, signature

ZONE = ZoneInfo("Asia/Kolkata")
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=ZONE)
SLOT = "09:00-10:00"


async def test_the_sink_keeps_signed_messages_and_refuses_forged_ones() -> None:
    body = json.dumps({"to": "+91 98200 00001", "eventId": "e1", "tokenNumber": "D1-20260302-T001"}).encode()
    async with TestClient(TestServer(create_app("s3cret", echo=False))) as sink:
        good = await sink.post("/webhook", data=body, headers={SIGNATURE_HEADER: signature("s3cret", body)})
        forged = await sink.post("/webhook", data=body, headers={SIGNATURE_HEADER: signature("guess", body)})
        unsigned = await sink.post("/webhook", data=body)
        received = await (await sink.get("/received")).json()

    assert (good.status, forged.status, unsigned.status) == (200, 401, 401)
    assert [note["eventId"] for note in received] == ["e1"]


async def test_without_a_secret_the_sink_takes_any_json() -> None:
    async with TestClient(TestServer(create_app("", echo=False))) as sink:
        response = await sink.post("/anything", json={"eventId": "e2"}, headers={"Idempotency-Key": "k"})
        received = await (await sink.get("/received")).json()

    assert response.status == 200
    assert received == [{"idempotencyKey": "k", "eventId": "e2"}]


def _event(minutes: int, kind: str, token: str, status: str, slot: str = SLOT) -> TokenEvent:
    return TokenEvent(NINE + timedelta(minutes=minutes), "D1", f"token.{kind}", token, status, slot)


def test_a_freed_seat_is_refilled_by_a_promotion_and_not_by_a_consultation_ending() -> None:
    capacity = {("D1", SLOT): 2}
    events = [
        _event(0, "confirmed", "T1", "confirmed"),
        _event(0, "confirmed", "T2", "confirmed"),
        _event(1, "waitlisted", "T3", "pending"),
        _event(2, "cancelled", "T1", "cancelled"),
        _event(2, "promoted", "T3", "confirmed"),
        _event(5, "completed", "T2", "completed"),
        _event(6, "no_show", "T3", "no_show"),
        _event(7, "completed", "T2", "completed"),
    ]

    first, second = freed_seats(events, capacity)

    assert (first.token, first.waiting, first.refilled_by) == ("T1", True, "T3")
    assert (second.token, second.waiting, second.refilled_by) == ("T3", False, None)


def test_leaving_the_overflow_seat_frees_no_seat() -> None:
    events = [
        _event(0, "confirmed", "T1", "confirmed"),
        _event(0, "confirmed", "E1", "confirmed"),
        _event(1, "waitlisted", "T2", "pending"),
        _event(2, "no_show", "T1", "no_show"),
    ]

    assert freed_seats(events, {("D1", SLOT): 1}) == []


def _feed(minutes: int, kind: str, token: str, status: str, event_id: str, **extra: Any) -> dict[str, Any]:
    view = {
        "tokenNumber": f"D1-20260302-{token}",
        "shortNumber": token,
        "status": status,
        "timeSlot": {"startTime": "09:00", "endTime": "10:00"},
        "position": 1,
        "waitlistPosition": None,
        "estimatedTime": (NINE + timedelta(minutes=15)).isoformat(),
    }
    at = (NINE + timedelta(minutes=minutes)).isoformat()
    return {"eventId": event_id, "type": f"token.{kind}", "doctorId": "d1", "occurredAt": at, "token": view, **extra}


def test_the_timeline_shows_each_step_its_chain_reaction_and_who_was_told() -> None:
    cancelled = frozenset({"token.cancelled"})
    actions = [
        Action(
            NINE + timedelta(minutes=2), "CANCEL", "d1", "T001", "Asha: cancelled", ((cancelled, "D1-20260302-T001"),)
        )
    ]
    feed = [
        _feed(2, "cancelled", "T001", "cancelled", "e1"),
        _feed(2, "promoted", "T003", "confirmed", "e2", reason="token T001 cancelled"),
        _feed(2, "eta_changed", "T002", "confirmed", "e3", previousEstimatedTime=NINE.isoformat()),
    ]
    notes = [{"eventId": "e1", "tokenNumber": "D1-20260302-T001"}, {"eventId": "e2", "tokenNumber": "D1-20260302-T003"}]

    lines = build(actions, feed, notes, {"d1": "D1"}, ZONE)

    assert lines[0].startswith("09:02  CANCEL") and lines[0].endswith("| told T001")
    assert "PROMOTED" in lines[1] and "T003" in lines[1] and "(token T001 cancelled)" in lines[1]
    assert lines[1].endswith("| told T003")
    assert "ETA" in lines[2] and "T002 09:00→09:15" in lines[2] and lines[2].endswith("| told -")
    assert build(actions, feed, None, {"d1": "D1"}, ZONE)[0].endswith("Asha: cancelled")


def test_the_report_is_one_self_contained_page() -> None:
    record = play(generate_day(DayConfig(doctors=2, patients=60, seed=3)), PlayPolicy())

    page = render("OPD day", ["intro"], [("figure", "value"), ("seen", "50")], [("one", record), ("two", record)])

    assert page.startswith("<!doctype html>") and page.count("<svg") == 2 + 2 * 2  # the overview, then each doctor
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert page.count("<details class='doctor'>") == 2 and page.count("<h3>Per doctor (") == 2
    assert 'font-size="13"' in page and "stroke-dasharray" in page  # readable axes; the second policy dashed
    assert page.count("<rect ") == 2 * 2 * 2  # utilization and peak queue, a bar per doctor and policy


def test_opd_simulate_a_stochastic_day_and_a_comparison(tmp_path: Path) -> None:
    runner = CliRunner()
    day = runner.invoke(app, ["simulate", "--doctors", "3", "--patients", "120", "--report", str(tmp_path / "a.html")])
    compared = runner.invoke(
        app,
        [
            "simulate",
            "--doctors",
            "3",
            "--patients",
            "120",
            "--compare",
            "reserve:0,1",
            "--report",
            str(tmp_path / "b.html"),
        ],
    )
    wrong = runner.invoke(app, ["simulate", "--compare", "colour"])

    assert day.exit_code == 0, day.output
    assert "Summary" in day.output and "doctor utilization" in day.output and "Schedules" in day.output
    assert compared.exit_code == 0, compared.output
    assert "reserve 0" in compared.output and "difference" in compared.output
    assert (tmp_path / "a.html").read_text().count("<svg") == 2 + 3 * 2 and (tmp_path / "b.html").exists()
    assert wrong.exit_code != 0
