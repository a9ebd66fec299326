"""Who may do what on the broker: one user per service and one for kiosks, scoped to the topology prefix.

The services may configure, write and read only names under their prefix (they all declare the topology
idempotently, which needs those rights); the allocator also answers through the default exchange, and the
gateway's live feed uses a server-named queue. A kiosk may publish to the commands exchange and nothing else:
its replies come through direct reply-to, which needs no rights.

``deploy/rabbitmq/definitions.json`` is generated from these rules (``opd broker-definitions``); a test keeps
it in step, and ``apply_with_rabbitmqctl`` sets the same rules on a local broker.
"""

import base64
import hashlib
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ROLES = ("gateway", "allocator", "notifier", "kiosk")
DEV_PASSWORD_SUFFIX = "-dev"  # development passwords are "<user>-dev"; replace them in any real deployment


@dataclass(frozen=True, slots=True)
class Permission:
    """RabbitMQ's three regular expressions over resource names."""

    configure: str
    write: str
    read: str


def permission(role: str, prefix: str) -> Permission:
    own = rf"{re.escape(prefix)}\..*"
    match role:
        case "allocator":
            return Permission(configure=f"^{own}$", write=rf"^({own}|amq\.default)$", read=f"^{own}$")
        case "gateway":
            feed = r"amq\.gen-.*"
            return Permission(configure=f"^({own}|{feed})$", write=f"^({own}|{feed})$", read=f"^({own}|{feed})$")
        case "notifier":
            return Permission(configure=f"^{own}$", write=f"^{own}$", read=f"^{own}$")
        case "kiosk":
            return Permission(configure="^$", write=rf"^{re.escape(prefix)}\.commands$", read="^$")
    raise ValueError(f"unknown broker role {role!r}; roles: {', '.join(ROLES)}")


def password_hash(password: str, salt: bytes | None = None) -> str:
    """RabbitMQ's ``rabbit_password_hashing_sha256``: base64(salt + sha256(salt + password))."""
    salt = salt if salt is not None else os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


def password_matches(password: str, stored: str) -> bool:
    raw = base64.b64decode(stored)
    return password_hash(password, raw[:4]) == stored


def definitions(prefix: str = "opd", passwords: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Users, the vhost and permissions, for ``load_definitions``: development passwords and guest (for the
    management UI) by default; with ``passwords`` (role → password) those and no guest, for production."""
    if passwords is None:
        users = [{"name": "guest", "password": "guest", "tags": ["administrator"]}]  # the management UI, dev only
        users += [{"name": role, "password": role + DEV_PASSWORD_SUFFIX, "tags": []} for role in ROLES]
        permissions = [{"user": "guest", "vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}]
    else:
        users = [{"name": role, "password": passwords[role], "tags": []} for role in ROLES]
        permissions = []
    for role in ROLES:
        rule = permission(role, prefix)
        permissions.append(
            {"user": role, "vhost": "/", "configure": rule.configure, "write": rule.write, "read": rule.read}
        )
    return {
        "users": [
            {
                "name": user["name"],
                "password_hash": password_hash(str(user["password"])),
                "hashing_algorithm": "rabbit_password_hashing_sha256",
                "tags": user["tags"],
            }
            for user in users
        ],
        "vhosts": [{"name": "/"}],
        "permissions": permissions,
    }


def apply_with_rabbitmqctl(user: str, password: str, role: str, prefix: str) -> None:
    """Create (or reset) ``user`` with ``role``'s rights under ``prefix`` on the local broker."""
    rule = permission(role, prefix)
    existing = subprocess.run(["rabbitmqctl", "-q", "list_users"], check=True, capture_output=True, text=True).stdout
    if user in {line.split("\t")[0] for line in existing.splitlines()}:
        subprocess.run(["rabbitmqctl", "-q", "change_password", user, password], check=True, capture_output=True)
    else:
        subprocess.run(["rabbitmqctl", "-q", "add_user", user, password], check=True, capture_output=True)
    subprocess.run(
        ["rabbitmqctl", "-q", "set_permissions", "-p", "/", user, rule.configure, rule.write, rule.read],
        check=True,
        capture_output=True,
    )
