"""The benchmark's CPU accounting: each service's share, the servers' and the load generator's."""

import subprocess
import sys
from collections.abc import Iterator

import psutil
import pytest

from deploy.bench.cpu import CpuMeter, print_cpu, server_group
from deploy.bench.cpu_of import main as cpu_of_main
from deploy.bench.cpu_of import measure, per_request_line

BUSY = "import time\nend = time.process_time() + 0.4\nwhile time.process_time() < end: pass\ntime.sleep(30)"


@pytest.fixture
def services() -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    started = {
        "busy": subprocess.Popen([sys.executable, "-c", BUSY]),
        "idle": subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]),
    }
    yield started
    for process in started.values():
        process.kill()
        process.wait()


def test_a_busy_service_gets_its_cpu_share_and_an_idle_one_none(services: dict[str, subprocess.Popen[bytes]]) -> None:
    meter = CpuMeter({name: process.pid for name, process in services.items()})
    meter.start()
    busy_seconds = 0.0
    while busy_seconds < 0.4:  # until the busy service has spent its 0.4 s of CPU (however long that takes)
        times = psutil.Process(services["busy"].pid).cpu_times()
        busy_seconds = times.user + times.system

    shares = meter.shares()

    assert shares["busy"] > 0 and shares["busy"] > shares["idle"]
    assert "load generator" in shares


def test_the_report_names_each_group_and_the_cpu_per_request(capsys: pytest.CaptureFixture[str]) -> None:
    print_cpu({"allocator-1": 80.0, "postgres": 40.0, "load generator": 10.0}, requests=1000, seconds=10.0, cores=2)

    lines = capsys.readouterr().out.splitlines()
    assert (
        lines[0]
        == "CPU during the load, % of one core: allocator-1 80, postgres 40, load generator 10; total 130 of 200"
    )
    assert lines[1] == "CPU per request: 13.00 ms (all processes above); 12.00 ms without the load generator"


def test_database_backends_are_grouped_by_the_service_they_serve() -> None:
    backend = ["postgres: 15/main: opd_allocator opd_bench 127.0.0.1(40112) idle"]
    assert server_group("postgres", backend) == "postgres opd_allocator"
    assert server_group("postgres", ["postgres: opd_notifier opd_bench [local] UPDATE"]) == "postgres opd_notifier"
    assert server_group("postgres", ["postgres: 15/main: postgres opd_bench 127.0.0.1(40112) idle"]) == "postgres"
    assert server_group("postgres", ["postgres: 15/main: walwriter "]) == "postgres"
    assert server_group("postgres", ["/usr/lib/postgresql/15/bin/postgres", "-D", "/var/lib/postgresql"]) == "postgres"
    assert server_group("beam.smp", ["/usr/lib/erlang/erts/bin/beam.smp", "--"]) == "rabbitmq"
    assert server_group("python3", ["python3", "-m", "gateway"]) is None


def test_a_load_command_is_charged_its_own_cpu_and_that_of_the_services_it_loads(
    services: dict[str, subprocess.Popen[bytes]],
) -> None:
    busy_load = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\nprint('done')"
    named = {name: process.pid for name, process in services.items()}
    finished, seconds = measure(named, [sys.executable, "-c", busy_load])
    assert finished.returncode == 0 and finished.stdout == "done\n"
    assert seconds["load generator"] >= 0.3
    assert seconds.get("idle", 0.0) < 0.05


def test_the_per_request_line_lists_groups_largest_first_and_leaves_out_the_negligible() -> None:
    line = per_request_line({"gateway": 0.5, "rabbitmq": 0.9, "notifier": 0.0001}, requests=1000)
    assert line == "cpu ms/request: rabbitmq 0.90, gateway 0.50; sum 1.40"


def test_a_failing_load_command_fails_the_measurement_with_its_status() -> None:
    assert cpu_of_main(["10", "--", sys.executable, "-c", "raise SystemExit(3)"]) == 3
