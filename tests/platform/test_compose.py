"""compose.yaml and the image (Docker cannot run here): check everything that can be checked statically."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("web", "worker", "beat", "relay", "consumers", "migrate")
ONE_SHOT = ("migrate",)


def _compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def _resolve(value: str) -> str:
    """Interpolate ${VAR:-default} / ${VAR:?msg} the way compose does, with a stand-in for required values."""

    def sub(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3) or ""
        if op == ":-":
            return arg
        return "x" * 64 if name.endswith("SECRET_KEY") else f"required-{name.lower()}"

    return re.sub(r"\$\{([A-Z0-9_]+)(?:(:-|:\?)([^}]*))?\}", sub, value)


def test_every_service_has_an_image_or_build_and_a_healthcheck():
    services = _compose()["services"]
    expected = {
        "postgres",
        "redis",
        "kafka",
        "web",
        "worker",
        "beat",
        "relay",
        "consumers",
        "migrate",
        "prometheus",
        "grafana",
        "jaeger",
    }
    assert expected <= set(services)
    for name, service in services.items():
        assert "image" in service or "build" in service, name
        if name not in ONE_SHOT:
            assert "healthcheck" in service and service["healthcheck"]["test"], f"{name} has no healthcheck"


def test_postgres_has_pgvector_and_kafka_is_kraft():
    services = _compose()["services"]
    assert services["postgres"]["image"].startswith("pgvector/pgvector:")
    assert "controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]


def test_app_services_wait_for_their_dependencies():
    services = _compose()["services"]
    for name in ("web", "worker", "beat", "relay", "consumers"):
        depends = services[name]["depends_on"]
        for dependency in ("postgres", "redis", "kafka"):
            assert depends[dependency]["condition"] == "service_healthy", (name, dependency)
        assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_app_services_carry_every_variable_prod_requires():
    required = {name for name, var in settings.DICTAMESH_CONFIG.variables.items() if var.required_in_prod}
    required |= {"DJANGO_ALLOWED_HOSTS"}
    assert {"DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS", "DJANGO_SECRET_KEY"} <= required
    services = _compose()["services"]
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert required <= set(env), f"{name} lacks {required - set(env)}"
        assert env["DICTAMESH_ENV"] == "prod"


def test_compose_environment_passes_prod_configuration_checks():
    env_block = _compose()["services"]["web"]["environment"]
    env = {k: _resolve(str(v)) for k, v in env_block.items()}
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "KAFKA_", "DJANGO_"))
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check_config"],
        cwd=ROOT,
        env={**clean, **env, "DICTAMESH_CHECK_CONFIG": "1"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    problems = [line for line in result.stdout.splitlines() if line.startswith("  - ")]
    assert not [p for p in problems if "required" in p or "must be" in p], result.stdout


def test_prometheus_scrapes_web_and_worker_and_grafana_is_provisioned():
    prometheus = yaml.safe_load((ROOT / "docker/prometheus/prometheus.yml").read_text())
    jobs = prometheus["scrape_configs"]
    targets = {t for job in jobs for c in job.get("static_configs", []) for t in c["targets"]}
    assert {"web:8000", "worker:9808"} <= targets
    discovered = {n for job in jobs for c in job.get("dns_sd_configs", []) for n in c["names"]}
    assert {"relay", "consumers"} <= discovered
    dashboard = json.loads((ROOT / "docker/grafana/dashboards/dictamesh-overview.json").read_text())
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in (
        "dictamesh_http_requests_total",
        "dictamesh_celery_tasks_total",
        "dictamesh_db_pool_connections",
        "dictamesh_outbox_backlog",
        "dictamesh_consumer_messages_total",
        "dictamesh_router_rule_total",
    ):
        assert metric in exprs
    datasource = yaml.safe_load((ROOT / "docker/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert datasource["datasources"][0]["url"] == "http://prometheus:9090"


def test_dockerfile_is_multi_stage_non_root_with_granian():
    dockerfile = (ROOT / "docker/Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) >= 2
    user = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert user and user[-1] not in ("root", "0")
    entrypoint = ROOT / "docker/entrypoint.sh"
    assert os.access(entrypoint, os.X_OK)
    assert "granian config.wsgi:application --interface wsgi" in entrypoint.read_text()
    assert "HEALTHCHECK" in dockerfile
    # the image installs runtime requirements only: no embedded dev services in production
    assert "requirements/prod.txt" in dockerfile
    assert (
        "embedded"
        not in (ROOT / "requirements/prod.txt").read_text() + (ROOT / "requirements/base.txt").read_text()
    )
