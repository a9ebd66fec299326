"""``opd up``: the three services as child processes on the local servers, stopped together."""

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping

SERVICES = ("allocator", "notifier", "gateway")


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
