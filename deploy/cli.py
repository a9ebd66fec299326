"""The ``opd`` command: migrate, run one service or all of them, simulate an OPD day."""

import asyncio
import sys

import typer

from deploy import supervisor
from deploy.cli_migrate import migrate_database
from shared.lifecycle import configure_logging
from shared.settings import CommonSettings

app = typer.Typer(help="OPD token allocation system", no_args_is_help=True, add_completion=False)


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
