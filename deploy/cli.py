"""The ``opd`` command: migrate, run one service or all of them, simulate an OPD day."""

import asyncio
import logging
import os
from importlib.metadata import version
from pathlib import Path
from typing import Annotated

import typer

from deploy import supervisor
from deploy.cli_bench import bench_app
from deploy.cli_generated import broker_definitions, schemas
from deploy.cli_keys import api_key
from deploy.cli_kiosk import kiosk_app
from deploy.cli_migrate import describe, migrate_database, migration_status, role_passwords
from shared import db
from shared.lifecycle import configure_logging
from shared.settings import CommonSettings
from shared.startup import DEBUG_VARIABLE, explained

app = typer.Typer(help="OPD token allocation system", no_args_is_help=True, add_completion=False)
app.add_typer(bench_app, name="bench")
app.add_typer(kiosk_app, name="kiosk")
app.command()(schemas)
app.command("broker-definitions")(broker_definitions)
app.command("api-key")(api_key)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"opd {version('opd-token-system')}")
        raise typer.Exit()


@app.callback()
def options(
    debug: Annotated[
        bool, typer.Option("--debug", help="tracebacks instead of one-line explanations (also for the services)")
    ] = False,
    show_version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """OPD token allocation system."""
    if debug:
        os.environ[DEBUG_VARIABLE] = "1"  # the services started from here inherit it


@app.command()
def migrate(
    set_role_passwords: Annotated[
        bool,
        typer.Option("--role-passwords", help="also set the service logins' passwords from OPD_DB_PASSWORD_<SERVICE>"),
    ] = False,
    show_status: Annotated[
        bool,
        typer.Option(
            "--status", help="only list applied and pending migrations and checksum mismatches (exit 1 unless current)"
        ),
    ] = False,
) -> None:
    """Create the database if needed and apply the numbered SQL migrations."""
    settings = CommonSettings()
    if show_status:
        state = asyncio.run(migration_status(settings.database_url))
        typer.echo("\n".join(describe(state)))
        raise typer.Exit(0 if state.current else 1)
    configure_logging(settings.log_level, "migrate")
    passwords = role_passwords() if set_role_passwords else None
    applied = asyncio.run(migrate_database(settings.database_url, passwords))
    typer.echo(f"applied migrations: {applied}" if applied else "schema is up to date")
    if passwords:
        typer.echo(f"set the passwords of {', '.join(passwords)}")


@app.command()
def check() -> None:
    """Check the database's invariants (seat rule, counters, quotas, duplicates, outcomes): after a restore."""
    from deploy.bench.invariants import CHECKS, check_invariants

    violations = asyncio.run(check_invariants(CommonSettings().database_url))
    typer.echo("\n".join(str(violation) for violation in violations) or f"all {len(CHECKS)} invariants hold")
    raise typer.Exit(1 if violations else 0)


@app.command()
def gateway() -> None:
    """Serve the REST API (port 3000 unless OPD_PORT says otherwise)."""
    from gateway.__main__ import main

    main()


@app.command()
def allocator() -> None:
    """Run the single writer for the configured shards (OPD_SHARDS, default all)."""
    from allocator.__main__ import main

    main()


@app.command()
def notifier() -> None:
    """Deliver notifications for allocator events."""
    from notifier.__main__ import main

    main()


@app.command("notifier-redrive")
def notifier_redrive(
    ids: Annotated[list[int] | None, typer.Option("--id", help="a dead notification to try again (repeatable)")] = None,
    all_dead: Annotated[bool, typer.Option("--all-dead", help="try every dead notification again")] = False,
) -> None:
    """Give dead-lettered notifications a fresh round of delivery attempts."""
    if not ids and not all_dead:
        raise typer.BadParameter("give --id N (repeatable) or --all-dead")
    from notifier.redrive import redrive
    from notifier.settings import NotifierSettings

    async def run() -> list[int]:
        settings = NotifierSettings()
        pool = await db.create_pool_explained(settings.writer_dsn, settings.writer_setting, max_size=2)
        try:
            return await redrive(pool, None if all_dead else ids)
        finally:
            await pool.close()

    redriven = asyncio.run(run())
    typer.echo(f"redriven: {redriven}" if redriven else "nothing to redrive")


@app.command()
def up() -> None:
    """Migrate, then run allocator, notifier and gateway as processes until Ctrl-C or SIGTERM, restarting one that
    exits (with backoff)."""
    from deploy.urls import served_urls

    migrate(set_role_passwords=False, show_status=False)
    urls = served_urls()
    width = max(len(what) for what, _ in urls)
    typer.echo("\n".join(f"  {what:<{width}}  {url}" for what, url in urls) + "\nCtrl-C stops them all.")
    raise typer.Exit(supervisor.supervise())


@app.command()
def simulate(
    base_url: Annotated[str | None, typer.Option(help="play on services running there (their clock)")] = None,
    speed: Annotated[
        float, typer.Option(help="simulated seconds per real second for the services started here")
    ] = 60.0,
    sink_url: Annotated[
        str | None, typer.Option(help="with --base-url: the webhook sink the notifier posts to (who was told)")
    ] = None,
    api_key: Annotated[str | None, typer.Option(envvar="OPD_API_KEY", help="with --base-url: a staff API key")] = None,
    doctors: Annotated[int | None, typer.Option(min=1, max=200, help="stochastic day: doctors (default 20)")] = None,
    patients: Annotated[
        int | None, typer.Option(min=1, max=20_000, help="stochastic day: patients (default 1500)")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="stochastic day: random seed (default 7)")] = None,
    reserve: Annotated[
        int | None, typer.Option(min=0, help="stochastic day: emergency seats per slot (default 1)")
    ] = None,
    quotas: Annotated[
        bool | None, typer.Option("--quotas/--no-quotas", help="stochastic day: source quotas (default off)")
    ] = None,
    realloc: Annotated[
        bool | None, typer.Option("--realloc/--no-realloc", help="stochastic day: waitlist and promotion (default on)")
    ] = None,
    compare: Annotated[
        str | None,
        typer.Option(help="stochastic day under two policies: reserve[:0,1], quotas[:off,on] or realloc[:on,off]"),
    ] = None,
    report: Annotated[Path, typer.Option(help="the HTML report to write")] = Path("opd-simulation-report.html"),
) -> None:
    """Play an OPD day and report on it.

    Without day options: the original scenario (3 doctors, 15 patients, an emergency, cancellations, no-shows, a
    late arrival, reallocation, a late doctor) through the real services, started here unless --base-url is given.
    With --doctors/--patients/--seed/--compare (or a policy option): a stochastic day, reproducible for a seed,
    played through the allocation domain on a virtual clock.
    """
    stochastic = (doctors, patients, seed, reserve, quotas, realloc, compare)
    if all(option is None for option in stochastic):
        from deploy.simulation.run import run_scenario

        raise typer.Exit(run_scenario(base_url, speed, sink_url, api_key, report))
    if base_url:
        raise typer.BadParameter("the stochastic day runs in-process: leave out --base-url", param_hint="--base-url")
    from deploy.simulation.day_model import DayConfig
    from deploy.simulation.policies import PlayPolicy, compare_policies
    from deploy.simulation.stochastic import run_stochastic

    config = DayConfig(
        doctors=doctors or 20, patients=patients or 1500, seed=7 if seed is None else seed, zone=CommonSettings().zone
    )
    policy = PlayPolicy(
        reserve=1 if reserve is None else reserve, quotas=bool(quotas), realloc=True if realloc is None else realloc
    )
    if compare:
        try:
            compare_policies(compare, policy)
        except ValueError as wrong:
            raise typer.BadParameter(str(wrong), param_hint="--compare") from None
    raise typer.Exit(run_stochastic(config, policy, compare, report))


@app.command()
def sink(port: int = typer.Option(8081, help="port to listen on")) -> None:
    """A local webhook receiver that prints what it is sent (for the simulation and compose)."""
    from deploy.sink import serve

    serve(port)


def main() -> None:
    """The ``opd`` entry point: configuration and connection failures as one or two lines, not a traceback."""
    logging.getLogger("aiormq.connection").setLevel(logging.CRITICAL)  # our own line names the setting instead
    with explained("opd"):
        app()


if __name__ == "__main__":  # pragma: no cover
    main()
