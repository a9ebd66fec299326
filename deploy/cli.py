"""The ``opd`` command: migrate, run one service or all of them, simulate an OPD day."""

import asyncio
import sys
from typing import Annotated

import typer

from deploy import supervisor
from deploy.cli_generated import broker_definitions, schemas
from deploy.cli_kiosk import kiosk_app
from deploy.cli_migrate import migrate_database
from shared import db
from shared.lifecycle import configure_logging
from shared.settings import CommonSettings

app = typer.Typer(help="OPD token allocation system", no_args_is_help=True, add_completion=False)
app.add_typer(kiosk_app, name="kiosk")
app.command()(schemas)
app.command("broker-definitions")(broker_definitions)


@app.command()
def migrate() -> None:
    """Create the database if needed and apply the numbered SQL migrations."""
    settings = CommonSettings()
    configure_logging(settings.log_level, "migrate")
    applied = asyncio.run(migrate_database(settings.database_url))
    typer.echo(f"applied migrations: {applied}" if applied else "schema is up to date")


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
        pool = await db.create_pool(NotifierSettings().database_url, max_size=2)
        try:
            return await redrive(pool, None if all_dead else ids)
        finally:
            await pool.close()

    redriven = asyncio.run(run())
    typer.echo(f"redriven: {redriven}" if redriven else "nothing to redrive")


@app.command()
def up() -> None:
    """Migrate, then run allocator, notifier and gateway as processes until Ctrl-C or SIGTERM."""
    migrate()
    processes = supervisor.start_services()
    raise typer.Exit(supervisor.run_until_signal(processes))


@app.command()
def simulate(
    base_url: str = typer.Option(None, help="use services already running there instead of starting them"),
    speed: float = typer.Option(60.0, help="simulated seconds per real second when starting the services"),
) -> None:
    """Run the original scenario (3 doctors, 15 patients, 1 emergency, cancellations, no-shows)."""
    from deploy.simulation.run import run_scenario

    raise typer.Exit(run_scenario(base_url, speed))


@app.command()
def sink(port: int = typer.Option(8081, help="port to listen on")) -> None:
    """A local webhook receiver that prints what it is sent (for the simulation and compose)."""
    from deploy.sink import serve

    serve(port)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
