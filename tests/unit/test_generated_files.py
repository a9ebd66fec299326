"""Files generated from code stay in step with it: the contract's JSON Schemas and the broker definitions."""

import json
import shutil
from pathlib import Path

from deploy.broker_access import definitions, password_matches, permission
from deploy.cli_generated import DEFINITIONS_FILE, SCHEMAS_DIR, definitions_drift, stale_schemas


def test_the_committed_json_schemas_are_current() -> None:
    assert stale_schemas() == [], "run `opd schemas` and commit docs/schemas/"


def test_a_changed_or_extra_schema_file_is_reported_stale(tmp_path: Path) -> None:
    shutil.copytree(SCHEMAS_DIR, tmp_path, dirs_exist_ok=True)
    (tmp_path / "reply.json").write_text("{}\n")
    (tmp_path / "old.json").write_text("{}\n")
    assert stale_schemas(tmp_path) == ["old.json", "reply.json"]


def test_the_committed_broker_definitions_follow_the_rules() -> None:
    assert definitions_drift() == [], "run `opd broker-definitions` and commit deploy/rabbitmq/definitions.json"


def test_drifted_broker_permissions_are_reported(tmp_path: Path) -> None:
    document = json.loads(DEFINITIONS_FILE.read_text())
    for entry in document["permissions"]:
        if entry["user"] == "kiosk":
            entry["read"] = ".*"
    drifted = tmp_path / "definitions.json"
    drifted.write_text(json.dumps(document))
    assert definitions_drift(drifted) == ["user kiosk: permissions differ from deploy/broker_access.py"]


def test_the_kiosk_may_publish_only_to_its_prefix_commands_exchange() -> None:
    kiosk = permission("kiosk", "opd")
    assert (kiosk.configure, kiosk.write, kiosk.read) == ("^$", r"^opd\.commands$", "^$")
    assert all(".*" not in rule for rule in (kiosk.configure, kiosk.write, kiosk.read))


def test_generated_users_carry_verifiable_development_passwords() -> None:
    users = {user["name"]: user for user in definitions()["users"]}
    assert password_matches("kiosk-dev", users["kiosk"]["password_hash"])
    assert not password_matches("guest", users["kiosk"]["password_hash"])
    assert users["allocator"]["tags"] == []
