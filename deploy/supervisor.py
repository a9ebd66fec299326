"""``opd up``: the three services as child processes on the local servers, stopped together."""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping

import aiohttp

SERVICES = ("allocator", "notifier", "gateway")
READY_POLL_SECONDS = 0.2


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


def run_until_signal(processes: list[subprocess.Popen[bytes]]) -> int:
    """Wait until Ctrl-C/SIGTERM or until a service dies; then stop them all. Returns an exit code."""
    stopping = False

    def request_stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    try:
        while not stopping:
            if any(process.poll() is not None for process in processes):
                print("a service exited; stopping the others", file=sys.stderr)
                return 1
            time.sleep(0.2)
        return 0
    finally:
        stop_services(processes)


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
