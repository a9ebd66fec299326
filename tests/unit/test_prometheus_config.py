"""The compose stack's Prometheus scrapes every service where it serves its metrics."""

from pathlib import Path
from typing import Any

import yaml

from allocator.settings import AllocatorSettings
from gateway.settings import GatewaySettings
from notifier.settings import NotifierSettings

ROOT = Path(__file__).resolve().parents[2]


def _load(path: str) -> Any:
    return yaml.safe_load((ROOT / path).read_text())


def test_prometheus_scrapes_each_service_on_its_metrics_port() -> None:
    jobs = {job["job_name"]: job for job in _load("deploy/prometheus/prometheus.yml")["scrape_configs"]}
    assert jobs["gateway"]["static_configs"][0]["targets"] == [
        f"gateway:{GatewaySettings.model_fields['port'].default}"
    ]
    for name, settings in (("allocator", AllocatorSettings), ("notifier", NotifierSettings)):
        (discovery,) = jobs[name]["dns_sd_configs"]
        assert discovery["names"] == [name]
        assert discovery["port"] == settings.model_fields["metrics_port"].default


def test_compose_runs_prometheus_with_that_config_and_the_services_serve_on_those_ports() -> None:
    services = _load("docker-compose.yml")["services"]
    assert "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro" in services["prometheus"]["volumes"]
    assert services["allocator"]["environment"]["OPD_METRICS_PORT"] == "9101"
    assert services["notifier"]["environment"]["OPD_METRICS_PORT"] == "9102"
