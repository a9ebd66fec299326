"""What ``opd bench drills`` will do, said before it does it. The PostgreSQL drill restarts a server the benchmark
did not start (every database on it, other users' too), so it runs only with ``--restart-postgres``."""

from deploy.bench.faults import postgres_cluster
from deploy.bench.services import BENCH_DATABASE, BENCH_PREFIX

RESTART_FLAG = "--restart-postgres"


def _server() -> str:
    cluster = postgres_cluster()
    return f"cluster {cluster[0]}/{cluster[1]}" if cluster else "server (no pg_ctlcluster here: the drill would fail)"


def _what(name: str) -> str:
    return {
        "kill": "SIGKILL the drill's allocator under load, start a new one",
        "failover": "SIGKILL the drill's active allocator; its standby takes over",
        "fencing": "freeze the drill's active allocator (SIGSTOP), drop its broker connections, let it run again",
        "postgres": f"RESTART the local PostgreSQL {_server()} (fast shutdown: every session of every database "
        "on it is cut, other users' too)",
        "broker": "have RabbitMQ close the drill's own connections (the broker is not restarted)",
    }[name]


def plan(names: list[str], restart_postgres: bool) -> tuple[list[str], list[str]]:
    """(the drills to run, the lines saying what each will do or why it will not run)."""
    runnable = []
    lines = [f"opd bench drills, each on the database {BENCH_DATABASE} and the broker prefix {BENCH_PREFIX}:"]
    for name in names:
        if name == "postgres" and not restart_postgres:
            lines.append(
                f"  {name:<9} refused: it would restart the local PostgreSQL {_server()}, which opd bench did not "
                f"start and others may be using; add {RESTART_FLAG} to allow it"
            )
            continue
        runnable.append(name)
        lines.append(f"  {name:<9} {_what(name)}")
    return runnable, lines
