"""Configuration and connection failures in plain words: the setting, what is wrong, the remedy."""

import asyncio
from typing import Any

import aiormq.exceptions
import asyncpg
import pytest
from pydantic import ValidationError

from gateway.settings import GatewaySettings
from shared import amqp, db, startup
from shared.contracts.values import TimeRange
from shared.readiness import Readiness
from shared.startup import StartupError, broker_problem, database_problem, explained
from shared.topology import Topology

DSN = "postgresql://opd_allocator@db.example:6543/opd"
AMQP = "amqp://gateway:secret@mq.example:5672/hospital"


def test_an_unreachable_database_names_its_address_and_setting() -> None:
    problem = database_problem(ConnectionRefusedError(111, "Connect call failed"), DSN, "OPD_DATABASE_URL")
    assert problem == (
        "cannot reach PostgreSQL at db.example:6543 (OPD_DATABASE_URL): connection refused. "
        "Check the host and port in OPD_DATABASE_URL and that PostgreSQL is running."
    )


def test_a_refused_login_and_a_missing_database_say_what_to_fix() -> None:
    login = database_problem(
        asyncpg.InvalidPasswordError('password authentication failed for user "opd_allocator"'),
        DSN,
        "OPD_WRITER_DATABASE_URL",
    )
    assert login.startswith("PostgreSQL refused to log in user 'opd_allocator' (OPD_WRITER_DATABASE_URL)")
    missing = database_problem(asyncpg.InvalidCatalogNameError('database "opd" does not exist'), DSN, "OPD_X")
    assert missing == "database 'opd' does not exist (OPD_X). Run `opd migrate` to create it, or fix OPD_X."


def test_broker_problems_tell_a_wrong_password_from_a_missing_vhost_from_a_wrong_port() -> None:
    refused = broker_problem(aiormq.exceptions.ProbableAuthenticationError("ACCESS_REFUSED"), AMQP)
    assert refused.startswith("RabbitMQ refused to log in user 'gateway' (OPD_AMQP_URL): wrong user or password.")
    vhost = aiormq.exceptions.InvalidFrameError("Expected Connection.OpenOk, got <Connection.Close object at 0x1>")
    assert startup.broker_fatal(vhost)
    assert broker_problem(vhost, AMQP).startswith("RabbitMQ would not open virtual host 'hospital' for user 'gateway'")
    port = aiormq.exceptions.AMQPConnectionError(111, "Connect call failed ('10.0.0.5', 5672)")
    assert not startup.broker_fatal(port)
    assert broker_problem(port, AMQP).startswith("cannot reach RabbitMQ at mq.example:5672 (OPD_AMQP_URL)")


def test_an_invalid_setting_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("OPD_PORT", "three thousand")
    monkeypatch.delenv(startup.DEBUG_VARIABLE, raising=False)
    with pytest.raises(SystemExit) as exited, explained("opd gateway"):
        GatewaySettings()
    assert exited.value.code == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("opd gateway: invalid setting OPD_PORT: Input should be a valid integer")


def test_a_startup_error_inside_a_task_group_is_found_and_debug_shows_the_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async def failing() -> None:
        async with asyncio.TaskGroup() as tasks:
            tasks.create_task(asyncio.sleep(10))
            tasks.create_task(_raise(StartupError("OPD_X is wrong. Fix it.")))

    monkeypatch.delenv(startup.DEBUG_VARIABLE, raising=False)
    with pytest.raises(SystemExit), explained("opd allocator"):
        asyncio.run(failing())
    assert capsys.readouterr().err == "opd allocator: OPD_X is wrong. Fix it.\n"
    monkeypatch.setenv(startup.DEBUG_VARIABLE, "1")
    with pytest.raises(ExceptionGroup), explained("opd allocator"):
        asyncio.run(failing())


def test_other_errors_pass_through_untouched() -> None:
    with pytest.raises(ValidationError), explained("opd"):  # not a settings class: a bug, not a configuration
        TimeRange.model_validate({"startTime": "x"})


async def _raise(exc: BaseException) -> None:
    raise exc


async def _never(connection: object) -> None:
    pytest.fail("no connection expected")


async def test_an_unreachable_broker_is_retried_with_growing_delays(monkeypatch: pytest.MonkeyPatch) -> None:
    stop = asyncio.Event()
    delays: list[float] = []

    async def record(event: asyncio.Event, seconds: float) -> None:
        delays.append(seconds)
        if len(delays) == 5:
            stop.set()

    monkeypatch.setattr(amqp, "sleep_unless", record)
    readiness = Readiness("broker")
    await amqp.serve_connected("amqp://guest:guest@127.0.0.1:1/", "test", Topology("t", 1), _never, stop, readiness)
    assert delays[-1] > delays[0] and max(delays) <= amqp.RECONNECT_MAX_SECONDS
    ready, body = readiness.report()
    assert not ready and b"cannot reach RabbitMQ at 127.0.0.1:1 (OPD_AMQP_URL): connection refused" in body


async def test_a_refused_broker_login_is_fatal_at_start() -> None:
    with pytest.raises(StartupError, match="refused to log in user 'guest'"):
        await amqp.serve_connected(
            "amqp://guest:wrong@127.0.0.1:5672/", "test", Topology("t", 1), _never, asyncio.Event()
        )


async def test_a_missing_database_is_fatal_at_start_and_an_unreachable_one_waits(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(StartupError, match="database 'opd_no_such_db' does not exist"):
        await db.wait_for_pool("postgresql://postgres@127.0.0.1:5432/opd_no_such_db", asyncio.Event(), 2)

    stop = asyncio.Event()
    delays: list[float] = []

    async def record(event: asyncio.Event, seconds: float) -> None:
        delays.append(seconds)
        stop.set()

    monkeypatch.setattr(db, "sleep_unless", record)
    readiness = Readiness("database")
    assert await db.wait_for_pool("postgresql://postgres@127.0.0.1:1/opd", stop, 2, "OPD_X", readiness) is None
    assert len(delays) == 1
    assert b"cannot reach PostgreSQL at 127.0.0.1:1 (OPD_X)" in readiness.report()[1]


async def test_a_failed_connection_attempt_is_closed_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Not left to the garbage collector, whose close would be a task outliving a service that stops meanwhile."""
    attempts: list[amqp._Connection] = []
    make = amqp._Connection.__init__

    def recorded(connection: amqp._Connection, *args: Any, **kwargs: Any) -> None:
        attempts.append(connection)
        make(connection, *args, **kwargs)

    monkeypatch.setattr(amqp._Connection, "__init__", recorded)
    with pytest.raises(amqp.AMQP_ERRORS):
        await amqp.connect("amqp://guest:guest@127.0.0.1:1/", "test", timeout=1)
    assert len(attempts) == 1 and attempts[0].is_closed
