"""``opd simulate``: the original scenario through the real services as processes, a webhook sink capturing the
notifications, on a short clock; its checks pass and its report is written."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import AMQP_URL

CHECKS = (
    "every patient has a final state",
    "the emergency was seen first in its slot",
    "every freed seat with a waiting patient was refilled",
    "every promoted patient was notified through the sink",
    "no seat left free while patients wait",
    "capacity never exceeded beyond the +1 overflow",
)


@pytest.mark.timeout(120)
def test_opd_simulate_plays_the_original_scenario_and_its_checks_pass(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    result = subprocess.run(
        [sys.executable, "-m", "deploy.cli", "simulate", "--speed", "600", "--report", str(report)],
        capture_output=True,
        text=True,
        timeout=110,
        env={**os.environ, "OPD_AMQP_URL": AMQP_URL},
    )
    out = result.stdout

    assert result.returncode == 0, out + result.stderr
    for check in CHECKS:
        assert f"[ok] {check}" in out, out
    assert "FAILED" not in out
    for step in ("BOOK", "EMERGENCY", "DUPLICATE", "CANCEL", "LATE ", "NO-SHOW", "LATE ARRIVAL", "REALLOCATE", "CALL"):
        assert f"  {step}" in out, step
    assert "PROMOTED" in out and "| told T" in out
    assert out.count("walkin, at the kiosk over AMQP") == 6  # every walk-in registered at the kiosk
    assert "Schedules" in out and "Summary" in out and "doctor utilization" in out
    assert "\x1b[" not in out, "no progress bar or colours when the output is not a terminal"
    page = report.read_text()
    assert page.count("<svg") == 2 + 3 * 2 and "Timeline" in page  # the overview, then each doctor
