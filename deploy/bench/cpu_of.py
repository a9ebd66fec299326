"""CPU per request of a load command: the services it loads (by pid), the database and broker servers, and the
command itself. For the side-by-side scripts, whose load generator (``../shared/bench/load.py``) is not ours.

usage: python -m deploy.bench.cpu_of REQUESTS NAME=PID ... -- COMMAND ...
Prints the command's last line of output, then CPU milliseconds per request by group and their sum; if the command
fails, its output and its exit status instead.
"""

import resource
import subprocess
import sys

from deploy.bench.cpu import LOAD_GENERATOR, CpuMeter


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def per_request_line(seconds_by_group: dict[str, float], requests: int) -> str:
    """``cpu ms/request: gateway 0.88, rabbitmq 0.65, …; sum 1.89``, largest first, groups under 5 µs left out."""
    ms = {group: 1000 * seconds / requests for group, seconds in seconds_by_group.items()}
    largest_first = sorted(ms.items(), key=lambda kv: -kv[1])
    parts = ", ".join(f"{group} {value:.2f}" for group, value in largest_first if value >= 0.005)
    return f"cpu ms/request: {parts}; sum {sum(ms.values()):.2f}"


def measure(services: dict[str, int], command: list[str]) -> tuple[subprocess.CompletedProcess[str], dict[str, float]]:
    """Run ``command``; its result and the CPU seconds each group spent meanwhile."""
    meter = CpuMeter(services)
    children_before = _children_cpu_seconds()
    meter.start()
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = {group: spent for group, spent in meter.seconds().items() if group != LOAD_GENERATOR}
    seconds[LOAD_GENERATOR] = _children_cpu_seconds() - children_before
    return finished, seconds


def main(argv: list[str]) -> int:
    if "--" not in argv or len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    split = argv.index("--")
    requests, named = int(argv[0]), argv[1:split]
    services = {name: int(pid) for name, _, pid in (item.partition("=") for item in named)}
    finished, seconds = measure(services, argv[split + 1 :])
    if finished.returncode:
        print(finished.stdout + finished.stderr, file=sys.stderr)
        return finished.returncode
    print(finished.stdout.strip().splitlines()[-1])
    print(f"  {per_request_line(seconds, requests)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
