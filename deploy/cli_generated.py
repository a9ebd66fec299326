"""``opd schemas`` and ``opd broker-definitions``: files generated from code, with ``--check`` for CI."""

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from deploy.broker_access import ROLES, definitions, password_matches, permission
from shared.contracts.schemas import contract_schemas
from shared.startup import StartupError

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS_DIR = ROOT / "docs" / "schemas"
DEFINITIONS_FILE = ROOT / "deploy" / "rabbitmq" / "definitions.json"

CheckOption = Annotated[bool, typer.Option("--check", help="only report whether the committed files are current")]


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def stale_schemas(directory: Path = SCHEMAS_DIR) -> list[str]:
    """Schema files missing or different from what the models generate now."""
    expected = {name: render(schema) for name, schema in contract_schemas().items()}
    present = {path.name for path in directory.glob("*.json")}
    stale = [name for name, text in expected.items() if name not in present or (directory / name).read_text() != text]
    return sorted(stale + sorted(present - expected.keys()))


def definitions_drift(path: Path = DEFINITIONS_FILE, prefix: str = "opd") -> list[str]:
    """How the committed broker definitions differ from the rules (passwords are salted, so checked by hash)."""
    committed = json.loads(path.read_text())
    problems = []
    users = {user["name"]: user for user in committed["users"]}
    rights = {entry["user"]: entry for entry in committed["permissions"]}
    for role in ROLES:
        rule = permission(role, prefix)
        if role not in users or not password_matches(role + "-dev", users[role]["password_hash"]):
            problems.append(f"user {role}: missing or not the development password")
        entry = rights.get(role, {})
        if (entry.get("configure"), entry.get("write"), entry.get("read")) != (rule.configure, rule.write, rule.read):
            problems.append(f"user {role}: permissions differ from deploy/broker_access.py")
    return problems


def schemas(check: CheckOption = False) -> None:
    """Write the JSON Schemas of commands, replies, events and views to docs/schemas/."""
    if check:
        stale = stale_schemas()
        if stale:
            typer.echo(f"stale: {', '.join(stale)}; run `opd schemas`", err=True)
            raise typer.Exit(1)
        typer.echo("schemas are current")
        return
    SCHEMAS_DIR.mkdir(parents=True, exist_ok=True)
    for name, schema in contract_schemas().items():
        (SCHEMAS_DIR / name).write_text(render(schema))
    typer.echo(f"wrote {len(contract_schemas())} schemas to {SCHEMAS_DIR}")


def production_passwords() -> dict[str, str]:
    """Each broker user's password from ``OPD_BROKER_PASSWORD_<ROLE>``; a missing one is named."""
    variables = {role: f"OPD_BROKER_PASSWORD_{role.upper()}" for role in ROLES}
    missing = [name for name in variables.values() if not os.environ.get(name)]
    if missing:
        raise StartupError(f"set {', '.join(missing)} (see .env.example) to write production broker definitions")
    return {role: os.environ[name] for role, name in variables.items()}


def broker_definitions(
    check: CheckOption = False,
    production: Annotated[
        Path | None,
        typer.Option(help="write definitions with the OPD_BROKER_PASSWORD_<ROLE> passwords and no guest user here"),
    ] = None,
) -> None:
    """Write deploy/rabbitmq/definitions.json: per-service users and the kiosk user (development passwords)."""
    if production is not None:
        production.parent.mkdir(parents=True, exist_ok=True)
        production.write_text(render(definitions(passwords=production_passwords())))
        production.chmod(0o600)
        typer.echo(f"wrote {production} (contains password hashes: keep it out of version control)")
        return
    if check:
        drift = definitions_drift()
        if drift:
            typer.echo("\n".join(drift), err=True)
            raise typer.Exit(1)
        typer.echo("broker definitions are current")
        return
    DEFINITIONS_FILE.write_text(render(definitions()))
    typer.echo(f"wrote {DEFINITIONS_FILE}")
