"""Settings from the environment: typed, documented, strict in prod; `dictamesh check-config`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from config.env import ConfigurationError, Env, redact_url

ROOT = Path(__file__).resolve().parents[2]


def _env_without_services(**extra: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "REDIS_", "KAFKA_", "DJANGO_"))
    }
    env.update(extra)
    return env


def test_prod_env_missing_required_values_stops_with_names():
    env = Env.from_environ({"DICTAMESH_ENV": "prod"})
    env.str("DATABASE_URL", doc="db", required_in_prod=True)
    env.int("WORKERS", default=2, doc="n")
    with pytest.raises(ConfigurationError) as exc:
        env.finalize()
    assert "DATABASE_URL" in str(exc.value)


def test_invalid_values_are_problems_not_crashes():
    env = Env.from_environ(
        {"A": "many", "B": "maybe", "C": "mysql://x", "D": "stage", "DICTAMESH_ENV": "dev"}
    )
    assert env.int("A", default=1, doc="") == 1
    assert env.bool("B", default=True, doc="") is True
    env.url("C", doc="", schemes=("postgres",))
    env.choice("D", ("x", "y"), default="x", doc="")
    assert [p.split()[0] for p in env.problems] == ["A", "B", "C", "D"]
    env.finalize()  # dev: reported, not fatal


def test_secrets_are_redacted():
    assert redact_url("postgres://u:hunter2@db:5432/x") == "postgres://u:****@db:5432/x"
    env = Env.from_environ({"DICTAMESH_ENV": "dev", "TOKEN": "abc"})
    env.str("TOKEN", doc="", secret=True)
    assert env.display_value(env.variables["TOKEN"]) == "********"


def test_dev_reads_the_services_file(tmp_path):
    (tmp_path / "services.env").write_text(
        "# comment\nDATABASE_URL=postgres://postgres@127.0.0.1:1111/dictamesh\n"
    )
    env = Env.from_environ({"DICTAMESH_ENV": "dev", "DICTAMESH_DATA_DIR": str(tmp_path)})
    assert env.url("DATABASE_URL", doc="", schemes=("postgres",)).endswith(":1111/dictamesh")
    assert env.variables["DATABASE_URL"].source == "services file"
    explicit = Env.from_environ(
        {"DICTAMESH_ENV": "dev", "DICTAMESH_DATA_DIR": str(tmp_path), "DATABASE_URL": "postgres://h/d"}
    )
    assert explicit.url("DATABASE_URL", doc="", schemes=("postgres",)) == "postgres://h/d"
    prod = Env.from_environ({"DICTAMESH_ENV": "test", "DICTAMESH_DATA_DIR": str(tmp_path)})
    assert prod.url("DATABASE_URL", doc="", schemes=("postgres",)) is None


def test_prod_boot_without_configuration_fails_naming_variables():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=_env_without_services(DICTAMESH_ENV="prod"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    for name in (
        "DATABASE_URL",
        "REDIS_URL",
        "KAFKA_BOOTSTRAP_SERVERS",
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
    ):
        assert name in result.stderr


def test_check_config_reports_problems_and_redacts_secrets():
    dictamesh = Path(sys.executable).parent / "dictamesh"
    result = subprocess.run(
        [str(dictamesh), "check-config"],
        cwd=ROOT,
        env=_env_without_services(
            DICTAMESH_ENV="prod",
            DATABASE_URL="postgres://app:hunter2@db:5432/dictamesh",
            DICTAMESH_GRAPHQL_MAX_DEPTH="deep",
        ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "hunter2" not in result.stdout
    assert "postgres://app:****@db:5432/dictamesh" in result.stdout
    assert "REDIS_URL is required in prod" in result.stdout
    assert "DICTAMESH_GRAPHQL_MAX_DEPTH must be a whole number" in result.stdout


def test_check_config_passes_for_a_complete_dev_environment():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dictamesh"), "check-config"],
        cwd=ROOT,
        env={**os.environ, "DICTAMESH_ENV": "dev"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no problems" in result.stdout


def test_docs_list_every_variable():
    documented = set(
        re.findall(r"^\| `([A-Z0-9_]+)` \|", (ROOT / "docs" / "configuration.md").read_text(), re.M)
    )
    declared = set(settings.DICTAMESH_CONFIG.variables)
    assert declared - documented == set(), "undocumented variables"
    assert documented - declared == set(), "documented variables that no setting reads"
