"""Fault injection on the local servers: PostgreSQL restarts and dropped broker connections.

Broker connections are dropped selectively — only those whose client is one of the given processes — so a drill
never disturbs other users of the same RabbitMQ.
"""

import asyncio
import re
import shutil
from collections.abc import Callable, Collection
from pathlib import Path


async def _run(*argv: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({process.returncode}): {output.decode().strip()}")
    return output.decode()


def postgres_cluster() -> tuple[str, str] | None:
    """(version, name) of the local Debian-style cluster that ``pg_ctlcluster`` manages, if any."""
    if shutil.which("pg_ctlcluster") is None:
        return None
    for version in sorted(Path("/etc/postgresql").glob("*"), reverse=True):
        for cluster in sorted(version.glob("*")):
            return version.name, cluster.name
    return None


async def restart_postgres() -> None:
    """Restart the whole PostgreSQL server (fast shutdown: every session is cut, then crash-safe restart)."""
    cluster = postgres_cluster()
    if cluster is None:
        raise RuntimeError("no pg_ctlcluster-managed PostgreSQL here")
    await _run("pg_ctlcluster", "--skip-systemctl-redirect", *cluster, "restart", "-m", "fast")


async def _client_ports(pids: Collection[int], broker_port: int) -> set[int]:
    """Local ports of the given processes' TCP connections to the broker."""
    listing = await _run("ss", "-tnpH", "state", "established", f"( dport = :{broker_port} )")
    ports = set()
    for line in listing.splitlines():
        owners = {int(pid) for pid in re.findall(r"pid=(\d+)", line)}
        local = line.split()[2] if len(line.split()) > 2 else ""
        if owners & set(pids) and ":" in local:
            ports.add(int(local.rsplit(":", 1)[1]))
    return ports


async def drop_broker_connections(pids: Collection[int], broker_port: int, strike: Callable[[], None]) -> int:
    """Have RabbitMQ close every connection of these processes (``rabbitmqctl close_connection``); returns how
    many it closed. ``strike`` is called just before the connections are closed (the listing takes a moment)."""
    ports = await _client_ports(pids, broker_port)
    listing = await _run("rabbitmqctl", "list_connections", "pid", "peer_port", "--quiet", "--no-table-headers")
    chosen = [
        parts[0]
        for parts in (line.split() for line in listing.splitlines())
        if len(parts) == 2 and parts[1].isdigit() and int(parts[1]) in ports
    ]
    reason = "opd bench drill: connection dropped"
    strike()
    await asyncio.gather(*(_run("rabbitmqctl", "close_connection", pid, reason) for pid in chosen))
    return len(chosen)
