"""Each broken setting, as an operator would meet it: one line naming the setting and the remedy, exit status 2,
no traceback; and the allocator's ``/readyz`` on its metrics port says which dependency is down."""

import asyncio
import os
import subprocess
import sys
from uuid import uuid4

import aiohttp
import pytest

from deploy.supervisor import free_port
from tests.conftest import AMQP_URL
from tests.support.services import eventually


def _opd(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    settings = {key: value for key, value in os.environ.items() if not key.startswith("OPD_")}
    return subprocess.run(
        [sys.executable, "-m", "deploy.cli", *argv],
        env={**settings, "OPD_METRICS_PORT": "0", **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def _explanation(result: subprocess.CompletedProcess[str]) -> str:
    """The one line that is not a JSON log line; asserts there is exactly one and no traceback."""
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("{")]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_a_wrong_database_port_names_opd_database_url() -> None:
    line = _explanation(_opd("migrate", OPD_DATABASE_URL="postgresql://postgres@127.0.0.1:1/opd"))
    assert line == (
        "opd: cannot reach PostgreSQL at 127.0.0.1:1 (OPD_DATABASE_URL): connection refused. "
        "Check the host and port in OPD_DATABASE_URL and that PostgreSQL is running."
    )


def test_a_wrong_broker_password_stops_the_allocator_at_once(database: str) -> None:
    wrong = AMQP_URL.replace("guest:guest@", "guest:not-the-password@")
    line = _explanation(_opd("allocator", OPD_DATABASE_URL=database, OPD_AMQP_URL=wrong))
    assert line.startswith("opd allocator: RabbitMQ refused to log in user 'guest' (OPD_AMQP_URL)")


def test_an_unknown_vhost_stops_the_notifier_at_once(database: str) -> None:
    line = _explanation(_opd("notifier", OPD_DATABASE_URL=database, OPD_AMQP_URL=AMQP_URL.rstrip("/") + "/no-such"))
    assert line.startswith("opd notifier: RabbitMQ would not open virtual host 'no-such'")


def test_keys_without_the_cancel_code_secret_stop_the_gateway(database: str) -> None:
    line = _explanation(
        _opd("gateway", OPD_DATABASE_URL=database, OPD_API_KEYS="desk:staff:" + "0" * 64, OPD_PORT=str(free_port()))
    )
    assert line.startswith("opd gateway: OPD_CANCEL_CODE_SECRET is required when API keys are configured.")


def test_debug_shows_the_traceback() -> None:
    result = _opd("--debug", "migrate", OPD_DATABASE_URL="postgresql://postgres@127.0.0.1:1/opd")
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_version() -> None:
    result = _opd("--version")
    assert result.returncode == 0 and result.stdout.startswith("opd ")


@pytest.mark.timeout(60)
async def test_the_allocators_readyz_says_the_broker_is_unreachable_then_ready(
    database: str, broker_prefix: str
) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("OPD_")}
    common = {"OPD_DATABASE_URL": database, "OPD_BROKER_PREFIX": broker_prefix, "OPD_METRICS_PORT": str(port)}
    url = f"http://127.0.0.1:{port}/readyz"

    async def readiness(process: asyncio.subprocess.Process, expected: int, settled: str) -> dict[str, str]:
        """The checks once the answer has ``expected`` status and the broker's line starts with ``settled``."""

        async def probe() -> dict[str, str] | None:
            try:
                async with aiohttp.ClientSession() as session, session.get(url) as response:
                    checks: dict[str, str] = (await response.json())["checks"]
            except aiohttp.ClientError:
                return None
            return checks if response.status == expected and checks["broker"].startswith(settled) else None

        try:
            return await eventually(probe, timeout=40, interval=0.2)
        finally:
            process.terminate()
            await process.wait()

    unreachable = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "allocator", env={**env, **common, "OPD_AMQP_URL": "amqp://guest:guest@127.0.0.1:1/"}
    )
    checks = await readiness(unreachable, 503, "cannot reach")
    assert checks["database"] == "ok"
    assert checks["broker"].startswith("cannot reach RabbitMQ at 127.0.0.1:1 (OPD_AMQP_URL): connection refused.")
    healthy = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "allocator", env={**env, **common, "OPD_AMQP_URL": AMQP_URL}
    )
    assert await readiness(healthy, 200, "ok") == {"database": "ok", "broker": "ok"}


def test_a_kiosk_with_a_wrong_password_and_a_redrive_with_a_wrong_port_explain_themselves() -> None:
    wrong = AMQP_URL.replace("guest:guest@", "guest:not-the-password@")
    kiosk = _opd("kiosk", "book", "--doctor", str(uuid4()), "--name", "X", "--age", "3", OPD_AMQP_URL=wrong)
    assert _explanation(kiosk).startswith("opd: RabbitMQ refused to log in user 'guest' (OPD_AMQP_URL)")
    redrive = _opd("notifier-redrive", "--all-dead", OPD_DATABASE_URL="postgresql://postgres@127.0.0.1:1/opd")
    assert _explanation(redrive).startswith("opd: cannot reach PostgreSQL at 127.0.0.1:1 (OPD_DATABASE_URL)")
