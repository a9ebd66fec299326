"""Where a run's CPU goes: each service under test, the database and broker servers, and the load generator.

CPU time (user + system) per group over the load, as a share of one core; a process that exits during the load
loses its share, one that starts during it (a new database backend) counts from its start. PostgreSQL's backends
are grouped by the role they serve (``postgres opd_allocator``: the allocator's sessions), its own processes and
other logins under ``postgres``.
"""

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

import psutil

LOAD_GENERATOR = "load generator"

SERVERS = {"postgres": "postgres", "rabbitmq": "beam.smp"}  # group → process name, for servers on this machine
SERVICE_ROLES = frozenset({"opd_allocator", "opd_notifier", "opd_reader"})  # the services' database logins


def _cpu_seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0
    return float(times.user + times.system)


def server_group(name: str, cmdline: list[str]) -> str | None:
    """The group of a server process, from its name and (a PostgreSQL backend's) title: ``postgres: 15/main:
    opd_allocator opd_bench 127.0.0.1(40112) idle`` is ``postgres opd_allocator``."""
    group = {process: group for group, process in SERVERS.items()}.get(name)
    if group != "postgres":
        return group
    role = " ".join(cmdline).rpartition(": ")[2].split(" ", 1)[0]
    return f"postgres {role}" if role in SERVICE_ROLES else "postgres"


def _servers() -> dict[int, str]:
    """Pid → group of the database and broker server processes running now."""
    found = {}
    for process in psutil.process_iter(["name", "cmdline"]):
        group = server_group(process.info["name"] or "", process.info["cmdline"] or [])
        if group is not None:
            found[process.pid] = group
    return found


@dataclass
class CpuMeter:
    """``start()`` before the load, ``shares()`` after it: percent of one core per group."""

    services: Mapping[str, int]  # name → pid of the services under test
    _began: float = 0.0
    _before: dict[int, float] = field(default_factory=dict)
    _groups: dict[int, str] = field(default_factory=dict)

    def _processes(self) -> dict[int, str]:
        this = psutil.Process().pid
        return {**_servers(), **{pid: name for name, pid in self.services.items()}, this: LOAD_GENERATOR}

    def start(self) -> None:
        self._groups = self._processes()
        self._before = {pid: _cpu_seconds(psutil.Process(pid)) for pid in self._groups if psutil.pid_exists(pid)}
        self._began = time.monotonic()

    def seconds(self) -> dict[str, float]:
        """CPU seconds per group since ``start()``, largest first."""
        used: dict[str, float] = {}
        for pid, group in {**self._groups, **self._processes()}.items():
            if not psutil.pid_exists(pid):
                continue
            spent = _cpu_seconds(psutil.Process(pid)) - self._before.get(pid, 0.0)
            used[group] = used.get(group, 0.0) + spent
        return dict(sorted(used.items(), key=lambda kv: -kv[1]))

    def shares(self) -> dict[str, float]:
        elapsed = time.monotonic() - self._began
        return {group: 100 * seconds / elapsed for group, seconds in self.seconds().items()}


def print_cpu(shares: Mapping[str, float], requests: int, seconds: float, cores: int) -> None:
    """One line per group, the total against the machine's cores, and CPU milliseconds per request."""
    total = sum(shares.values())
    parts = ", ".join(f"{group} {share:.0f}" for group, share in shares.items())
    print(f"CPU during the load, % of one core: {parts}; total {total:.0f} of {100 * cores}")
    if requests:
        per_request = 10 * seconds / requests  # ms per request for each percent of one core
        served = total - shares.get(LOAD_GENERATOR, 0.0)
        print(
            f"CPU per request: {per_request * total:.2f} ms (all processes above); "
            f"{per_request * served:.2f} ms without the {LOAD_GENERATOR}"
        )
