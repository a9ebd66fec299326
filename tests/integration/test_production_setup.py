"""What the production compose runs before the services: service logins given their passwords by
``opd migrate --role-passwords``, broker definitions with the operator's passwords and no guest."""

from uuid import uuid4

import asyncpg
import pytest

from deploy.broker_access import ROLES, definitions, password_matches
from deploy.cli_generated import production_passwords
from deploy.cli_migrate import SERVICE_ROLES, migrate_database, role_passwords
from shared.startup import StartupError
from tests.conftest import ADMIN_DSN


async def test_migrate_sets_the_given_logins_passwords(database: str) -> None:
    role = f"opd_t_{uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN_DSN)
    try:
        await admin.execute(f"CREATE ROLE {role} LOGIN")
        assert await migrate_database(database, {role: "it's-a-secret"}) == []
        stored = await admin.fetchval("SELECT rolpassword FROM pg_authid WHERE rolname = $1", role)
        assert stored.startswith("SCRAM-SHA-256$")
    finally:
        await admin.execute(f"DROP ROLE IF EXISTS {role}")
        await admin.close()


def test_role_passwords_name_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    for suffix in SERVICE_ROLES.values():
        monkeypatch.setenv(f"OPD_DB_PASSWORD_{suffix}", "x" * 24)
    monkeypatch.delenv("OPD_DB_PASSWORD_NOTIFIER")
    with pytest.raises(StartupError, match="--role-passwords needs OPD_DB_PASSWORD_NOTIFIER"):
        role_passwords()
    monkeypatch.setenv("OPD_DB_PASSWORD_NOTIFIER", "n" * 24)
    assert role_passwords()["opd_notifier"] == "n" * 24


def test_production_broker_definitions_carry_the_operators_passwords_and_no_guest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for role in ROLES:
        monkeypatch.setenv(f"OPD_BROKER_PASSWORD_{role.upper()}", f"{role}-prod-password")
    document = definitions(passwords=production_passwords())
    users = {user["name"]: user for user in document["users"]}
    assert set(users) == set(ROLES)
    assert all(password_matches(f"{role}-prod-password", users[role]["password_hash"]) for role in ROLES)
    assert {entry["user"] for entry in document["permissions"]} == set(ROLES)
    monkeypatch.delenv("OPD_BROKER_PASSWORD_KIOSK")
    with pytest.raises(StartupError, match="OPD_BROKER_PASSWORD_KIOSK"):
        production_passwords()
