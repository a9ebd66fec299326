"""``opd bench drills`` says what it will do and restarts no PostgreSQL server unless told to; ``opd bench core``
draws its progress bar on a terminal only. Nothing here runs a drill or restarts anything."""

import sys

import pytest
from typer.testing import CliRunner

from deploy.bench import drill_plan, progress
from deploy.bench.drills import DRILLS
from deploy.cli import app


def test_the_postgres_drill_alone_is_refused_without_the_flag_and_nothing_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_run(*args: object) -> None:
        pytest.fail("a drill ran")

    monkeypatch.setattr("deploy.bench.drills.run_drills", must_not_run)
    result = CliRunner().invoke(app, ["bench", "drills", "--only", "postgres"])
    assert result.exit_code == 2
    assert "postgres  refused: it would restart the local PostgreSQL" in result.output
    assert "add --restart-postgres to allow it" in result.output


def test_every_drill_is_announced_and_the_restart_only_with_the_flag() -> None:
    runnable, lines = drill_plan.plan(list(DRILLS), restart_postgres=False)
    assert runnable == [name for name in DRILLS if name != "postgres"]
    assert len(lines) == 1 + len(DRILLS) and "the broker is not restarted" in "\n".join(lines)
    runnable, lines = drill_plan.plan(list(DRILLS), restart_postgres=True)
    assert runnable == list(DRILLS)
    assert any("RESTART the local PostgreSQL" in line for line in lines)


def test_a_dry_run_only_says_what_it_would_do() -> None:
    result = CliRunner().invoke(app, ["bench", "drills", "--dry-run", "--restart-postgres"])
    assert result.exit_code == 0
    assert result.output.count("\n") == 1 + len(DRILLS)


def test_core_progress_is_silent_off_a_terminal_and_a_bar_on_one(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with progress.timed_progress(1.0) as advance:
        advance(0.5, "opd book")
    assert capsys.readouterr().out == ""
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    with progress.timed_progress(1.0) as advance:
        advance(0.5, "opd book")
        advance(0.5, "opd cancel")
