"""The compose files are valid (no Docker engine needed to check it), and the production one is what a hospital
should run: keys mode, every secret from .env or a secret file, no development pieces, every service checked
for readiness and restarted."""

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PROD = "docker-compose.prod.yml"
LONG_RUNNING = {"postgres", "rabbitmq", "gateway", "allocator", "notifier", "caddy"}

needs_compose = pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")


def _example() -> dict[str, str]:
    """The variables .env.example documents, with their example values."""
    lines = (ROOT / ".env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def _compose(*argv: str, env_file: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker-compose", "--env-file", str(env_file), *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", **env},
    )


@needs_compose
def test_the_development_compose_file_validates() -> None:
    result = subprocess.run(["docker-compose", "config", "-q"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.fixture
def filled_env(tmp_path: Path) -> Path:
    """.env.example with every empty value filled in, as an operator's .env would be."""
    path = tmp_path / ".env"
    path.write_text("".join(f"{name}={value or 'filled-' + name.lower()}\n" for name, value in _example().items()))
    return path


@needs_compose
def test_the_production_compose_file_validates_and_refuses_to_run_without_its_secrets(
    filled_env: Path, tmp_path: Path
) -> None:
    valid = _compose("-f", PROD, "config", "-q", env_file=filled_env, env={})
    assert valid.returncode == 0, valid.stderr
    empty = tmp_path / "empty.env"
    empty.write_text("")
    missing = _compose("-f", PROD, "config", "-q", env_file=empty, env={})
    assert missing.returncode != 0 and "in .env" in missing.stderr


@needs_compose
def test_the_production_stack_is_locked_down(filled_env: Path) -> None:
    result = _compose("-f", PROD, "config", env_file=filled_env, env={})
    assert result.returncode == 0, result.stderr
    services: dict[str, dict[str, Any]] = yaml.safe_load(result.stdout)["services"]
    assert set(services) == LONG_RUNNING | {"migrate"}  # no simulator, no webhook sink, no Prometheus UI
    for name in LONG_RUNNING:
        assert services[name].get("restart") == "unless-stopped", name
        assert services[name].get("healthcheck", {}).get("test"), name
    for name, port in (("gateway", 3000), ("allocator", 9101), ("notifier", 9102)):
        assert f"127.0.0.1:{port}/readyz" in " ".join(services[name]["healthcheck"]["test"]), name
    assert "management" not in services["rabbitmq"]["image"]
    published = {_target(port) for spec in services.values() for port in spec.get("ports", [])}
    assert published == {"80", "443", "5672"}  # TLS at Caddy, AMQP for kiosks; nothing else
    gateway = services["gateway"]["environment"]
    assert gateway["OPD_AUTH_MODE"] == "keys" and gateway["OPD_API_KEYS_FILE"] == "/run/secrets/api_keys"
    assert gateway["OPD_TRUSTED_PROXIES"] == services["caddy"]["networks"]["opd"]["ipv4_address"]
    logins = {
        services["gateway"]["environment"]["OPD_READER_DATABASE_URL"].split(":")[1],
        services["allocator"]["environment"]["OPD_WRITER_DATABASE_URL"].split(":")[1],
        services["notifier"]["environment"]["OPD_WRITER_DATABASE_URL"].split(":")[1],
        *(services[name]["environment"]["OPD_AMQP_URL"].split(":")[1] for name in ("gateway", "allocator", "notifier")),
    }
    assert logins == {"//opd_reader", "//opd_allocator", "//opd_notifier", "//gateway", "//allocator", "//notifier"}
    assert "POSTGRES_HOST_AUTH_METHOD" not in services["postgres"]["environment"]


def _target(port: str | dict[str, Any]) -> str:
    """The container port of a ``ports`` entry, long form or ``host:published:target/proto``."""
    return str(port["target"]) if isinstance(port, dict) else port.split("/")[0].rsplit(":", 1)[-1]


def test_env_example_documents_every_variable_and_commits_no_secret() -> None:
    example = _example()
    used = set(re.findall(r"\$\{(\w+)", (ROOT / PROD).read_text()))
    assert used <= example.keys(), used - example.keys()
    secrets = [name for name in example if re.search(r"PASSWORD|SECRET", name)]
    assert secrets and all(example[name] == "" for name in secrets)
    ignored = (ROOT / ".gitignore").read_text().split()
    assert ".env" in ignored and "secrets/" in ignored
