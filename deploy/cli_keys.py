"""``opd api-key``: mint an API key and the configuration entry that admits it (only the digest is stored)."""

import secrets
from typing import Annotated

import typer

from gateway.auth import digest
from shared.contracts.caller import Role


def api_key(
    name: Annotated[str, typer.Option(help="who holds it, e.g. desk-1 or patient-app")],
    role: Annotated[Role, typer.Option(help="admin ⊃ staff ⊃ booking")],
) -> None:
    """Print a new key (give it to the client) and the line for OPD_API_KEYS / OPD_API_KEYS_FILE."""
    if ":" in name or "," in name or not name.strip():
        raise typer.BadParameter("the name may not be empty or contain ':' or ','")
    key = secrets.token_urlsafe(32)
    typer.echo(f"key:   {key}")
    typer.echo(f"entry: {name.strip()}:{role.value}:{digest(key)}")
