"""``opd bench``: the load benchmark (REST or AMQP, spread or hot), ``opd bench core``, ``opd bench notifier`` and
``opd bench drills``."""

import asyncio
from typing import Annotated

import typer

from deploy.bench.drill_plan import RESTART_FLAG, plan
from deploy.bench.drills import DRILLS
from deploy.bench.runner import BenchOptions, TransportName, bench
from deploy.bench.shapes import ShapeName

bench_app = typer.Typer(
    help="Throughput, latency and fault drills; every run ends with the invariant check.",
    invoke_without_command=True,
    no_args_is_help=False,
)


@bench_app.callback()
def load(
    ctx: typer.Context,
    transport: Annotated[TransportName, typer.Option(help="REST through the gateway, or AMQP commands")] = (
        TransportName.AMQP
    ),
    shape: Annotated[ShapeName, typer.Option(help="spread: many doctors; hot: one doctor")] = ShapeName.SPREAD,
    clients: Annotated[int, typer.Option(min=1, help="concurrent clients (closed loop)")] = 64,
    duration: Annotated[float, typer.Option(min=1, help="seconds of load")] = 15.0,
    rate: Annotated[float | None, typer.Option(min=1, help="requests/s on a fixed schedule (open loop)")] = None,
    base_url: Annotated[
        str | None, typer.Option(help="use running services (REST here; AMQP and the database from OPD_* settings)")
    ] = None,
    api_key: Annotated[str | None, typer.Option(envvar="OPD_BENCH_API_KEY", help="X-API-Key for --base-url")] = None,
    api_key_name: Annotated[
        str, typer.Option(envvar="OPD_BENCH_API_KEY_NAME", help="that key's name (its command ids include it)")
    ] = "bench",
) -> None:
    """Load the services (started in the database opd_bench unless --base-url) and print the figures."""
    if ctx.invoked_subcommand is not None:
        return
    options = BenchOptions(transport, shape, clients, duration, rate, base_url, api_key, api_key_name)
    raise typer.Exit(asyncio.run(bench(options)))


@bench_app.command()
def core(
    seconds: Annotated[float, typer.Option(min=0.1, help="seconds per operation")] = 3.0,
) -> None:
    """Allocation decisions per second of the pure domain (no I/O)."""
    from deploy.bench.core import run_core

    run_core(seconds)


@bench_app.command()
def notifier(
    tokens: Annotated[int, typer.Option(min=1, help="tokens: one token.confirmed each")] = 400,
    updates: Annotated[int, typer.Option(min=0, help="token.eta_changed events per token")] = 4,
    seed: Annotated[int, typer.Option(help="random seed of the ids")] = 7,
) -> None:
    """Events/s recorded and notifications/s delivered (log channel) by one notifier draining its queue."""
    from deploy.bench.notifier_drain import run_drain

    raise typer.Exit(asyncio.run(run_drain(tokens, updates, seed)))


@bench_app.command()
def drills(
    only: Annotated[str | None, typer.Option(help=f"one drill: {', '.join(DRILLS)}")] = None,
    rate: Annotated[float, typer.Option(min=1, help="requests/s during the drill")] = 200.0,
    duration: Annotated[float, typer.Option(min=4, help="seconds of load per drill")] = 12.0,
    restart_postgres: Annotated[
        bool,
        typer.Option(
            RESTART_FLAG, help="allow the postgres drill to restart the local PostgreSQL server (others' too)"
        ),
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only say what each drill would do")] = False,
) -> None:
    """Faults under load (allocator killed, failover, PostgreSQL restart, broker connections dropped).

    Says first what each drill will do; the PostgreSQL restart runs only with --restart-postgres.
    """
    from deploy.bench.drills import run_drills

    if only is not None and only not in DRILLS:
        raise typer.BadParameter(f"unknown drill {only!r}; choose from {', '.join(DRILLS)}")
    runnable, lines = plan([only] if only else list(DRILLS), restart_postgres)
    typer.echo("\n".join(lines))
    if not runnable:
        raise typer.Exit(2)
    if dry_run:
        raise typer.Exit(0)
    raise typer.Exit(asyncio.run(run_drills(runnable, rate, duration)))
