"""CPU per request of a load command: the services it loads (by pid), the database and broker servers, and the
command itself. For the side-by-side scripts, whose load generator (``../shared/bench/load.py``) is not ours.

usage: python -m deploy.bench.cpu_of REQUESTS NAME=PID ... -- COMMAND ...
Prints the command's last line of output, then CPU milliseconds per request by group and their sum.
"""

import resource
import subprocess
import sys
import time

from deploy.bench.cpu import CpuMeter

LOAD_GENERATOR = "load generator"


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def per_request_line(seconds_by_group: dict[str, float], requests: int) -> str:
    """``cpu ms/request: gateway 0.88, rabbitmq 0.65, …; sum 1.89``, largest first, groups under 5 µs left out."""
    ms = {group: 1000 * seconds / requests for group, seconds in seconds_by_group.items()}
    largest_first = sorted(ms.items(), key=lambda kv: -kv[1])
    parts = ", ".join(f"{group} {value:.2f}" for group, value in largest_first if value >= 0.005)
    return f"cpu ms/request: {parts}; sum {sum(ms.values()):.2f}"


def measure(requests: int, services: dict[str, int], command: list[str]) -> tuple[str, dict[str, float]]:
    """Run ``command`` and return its last line of output and the CPU seconds each group spent meanwhile."""
    meter = CpuMeter(services)
    children_before = _children_cpu_seconds()
    meter.start()
    began = time.monotonic()
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.monotonic() - began
    shares = meter.shares()
    seconds = {group: share * elapsed / 100 for group, share in shares.items() if group != LOAD_GENERATOR}
    seconds[LOAD_GENERATOR] = _children_cpu_seconds() - children_before
    output = (finished.stdout.strip() or finished.stderr.strip() or f"exit {finished.returncode}").splitlines()
    return output[-1], seconds


def main(argv: list[str]) -> int:
    if "--" not in argv or len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    requests, named = int(argv[0]), argv[1:split]
    services = {name: int(pid) for name, _, pid in (item.partition("=") for item in named)}
    last_line, seconds = measure(requests, services, argv[split + 1 :])
    print(last_line)
    print(f"  {per_request_line(seconds, requests)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
