"""``opd up``: the three services as child processes on the local servers, each restarted with backoff when it
exits, all stopped together."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import aiohttp

from shared.backoff import backoff_seconds
from shared.startup import EXIT_CODE as CONFIGURATION_EXIT

SERVICES = ("allocator", "notifier", "gateway")
READY_POLL_SECONDS = 0.2
POLL_SECONDS = 0.2
RESTART_INITIAL_SECONDS = 1.0
RESTART_MAX_SECONDS = 30.0
STABLE_SECONDS = 60.0  # a service that ran this long before exiting is restarted after the shortest wait again


def free_port() -> int:
    """A TCP port nothing listens on right now, for a service started here."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_services(
    env: Mapping[str, str] | None = None, services: tuple[str, ...] = SERVICES
) -> list[subprocess.Popen[bytes]]:
    """Start each service as ``python -m <service>`` with the given environment."""
    child_env = {**os.environ, **(env or {})}
    return [subprocess.Popen([sys.executable, "-m", name], env=child_env) for name in services]


def stop_services(processes: list[subprocess.Popen[bytes]], timeout: float = 15.0) -> None:
    """SIGTERM all (they drain), then SIGKILL whatever is still running after the timeout."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _exit_reason(code: int) -> str:
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit status {code}"


@dataclass
class _Child:
    name: str
    process: subprocess.Popen[bytes]
    started: float
    crashes: int = 0  # in a row, each within STABLE_SECONDS of its start
    restart_at: float | None = None


def _start(name: str, env: Mapping[str, str], crashes: int = 0) -> _Child:
    (process,) = start_services(env, (name,))
    print(f"{name} started (pid {process.pid})", flush=True)
    return _Child(name, process, time.monotonic(), crashes)


def _serve(children: dict[str, _Child], env: Mapping[str, str], stopping: Callable[[], bool]) -> int:
    """Restart whatever exits, with backoff, until asked to stop; 2 when a service cannot run as configured."""
    while not stopping():
        now = time.monotonic()
        for name, child in children.items():
            if child.restart_at is not None:
                if now >= child.restart_at:
                    children[name] = _start(name, env, child.crashes)
                continue
            code = child.process.poll()
            if code is None:
                continue
            if code == CONFIGURATION_EXIT:
                print(f"{name} cannot run with this configuration (see above); stopping the others", flush=True)
                return CONFIGURATION_EXIT
            child.crashes = 1 if now - child.started >= STABLE_SECONDS else child.crashes + 1
            delay = backoff_seconds(child.crashes, RESTART_INITIAL_SECONDS, RESTART_MAX_SECONDS)
            child.restart_at = now + delay
            print(f"{name} exited ({_exit_reason(code)}); restarting it in {delay:.1f} s", flush=True)
        time.sleep(POLL_SECONDS)
    return 0


def supervise(env: Mapping[str, str] | None = None, services: tuple[str, ...] = SERVICES) -> int:
    """Run the services until Ctrl-C or SIGTERM, restarting a crashed one with backoff; then stop them all."""
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    child_env = {**os.environ, **(env or {})}
    children = {name: _start(name, child_env) for name in services}
    try:
        return _serve(children, child_env, lambda: stopping)
    finally:
        print("stopping " + ", ".join(children), flush=True)
        stop_services([child.process for child in children.values()])


async def wait_until_ready(base_url: str, timeout: float = 30.0) -> None:
    """Until the gateway answers ``/readyz`` with 200 (database and broker reachable)."""
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
            await asyncio.sleep(READY_POLL_SECONDS)
