"""The services under test as real processes, in a database and broker namespace of their own.

Like the simulation: a fresh ``opd_bench`` database and ``opdbench.*`` queues, the real clock, the processes'
logs in files (a benchmark's output stays readable; a drill's warnings stay on record).
"""

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import aio_pika

from deploy import supervisor
from deploy.cli_migrate import fresh_database
from shared import db
from shared.settings import CommonSettings
from shared.topology import Topology, delete

BENCH_DATABASE = "opd_bench"
BENCH_PREFIX = "opdbench"


async def fresh_broker(amqp_url: str, topology: Topology) -> None:
    """Delete the namespace's queues and exchanges: no command left over from an earlier run."""
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        await delete(await connection.channel(), topology)


@dataclass
class Stack:
    """Service processes sharing one database and broker prefix; several allocators may run (active, standby)."""

    dsn: str
    amqp_url: str
    prefix: str
    shard_count: int
    port: int = field(default_factory=supervisor.free_port)
    logs: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="opd-bench-")))
    extra_env: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def topology(self) -> Topology:
        return Topology(self.prefix, self.shard_count)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def env(self, name: str) -> dict[str, str]:
        return {
            **os.environ,
            "OPD_DATABASE_URL": self.dsn,
            "OPD_READER_DATABASE_URL": db.with_user(self.dsn, "opd_reader"),
            "OPD_AMQP_URL": self.amqp_url,
            "OPD_BROKER_PREFIX": self.prefix,
            "OPD_SHARD_COUNT": str(self.shard_count),
            "OPD_PORT": str(self.port),
            "OPD_LOG_LEVEL": "WARNING",
            "OPD_HOLDER_NAME": name,
            # The bench's own gateway: no API keys needed and no throttling, so the figures measure the system.
            "OPD_AUTH_MODE": "development",
            "OPD_RATE_LIMIT_PER_KEY": "1000000",
            "OPD_RATE_LIMIT_BURST_PER_KEY": "1000000",
            "OPD_RATE_LIMIT_PER_IP": "1000000",
            "OPD_RATE_LIMIT_BURST_PER_IP": "1000000",
            **self.extra_env,
        }

    def start(self, name: str, service: str | None = None) -> subprocess.Popen[bytes]:
        """Start ``python -m <service>`` (default: the name up to the first ``-``) under ``name``."""
        service = service or name.split("-")[0]
        with (self.logs / f"{name}.log").open("ab") as log:
            process = subprocess.Popen([sys.executable, "-m", service], env=self.env(name), stdout=log, stderr=log)
        self.processes[name] = process
        return process

    def kill(self, name: str) -> None:
        """SIGKILL: no drain, no goodbye, as a crash or an OOM kill."""
        process = self.processes.pop(name)
        process.kill()
        process.wait()

    def stop(self) -> None:
        supervisor.stop_services(list(self.processes.values()))
        self.processes.clear()

    async def wait_ready(self, timeout: float = 30.0) -> None:
        """Until the gateway answers ``/readyz`` with 200 (database and broker reachable)."""
        await supervisor.wait_until_ready(self.base_url, timeout)


async def bench_stack(database: str = BENCH_DATABASE, prefix: str = BENCH_PREFIX) -> Stack:
    """A stack on a fresh database ``database`` and a clean broker namespace ``prefix`` (nothing started yet)."""
    settings = CommonSettings()
    stack = Stack(db.with_database(settings.database_url, database), settings.amqp_url, prefix, settings.shard_count)
    await fresh_database(stack.dsn)
    await fresh_broker(stack.amqp_url, stack.topology)
    return stack
