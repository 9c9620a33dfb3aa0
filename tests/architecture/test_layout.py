"""The project's shape: top level, app template, labels."""

from __future__ import annotations

from pathlib import Path

from django.apps import apps as django_apps

ROOT = Path(__file__).resolve().parents[2]
APPS = ("catalog", "schemas", "lineage", "governance", "notifications", "adapters")


def test_top_level():
    required = {
        "dictamesh",
        "apps",
        "config",
        "manage.py",
        "docker",
        "compose.yaml",
        "requirements",
        "tests",
        "docs",
        "pyproject.toml",
        "README.md",
        "Makefile",
        ".ci",
    }
    present = {p.name for p in ROOT.iterdir()}
    assert required <= present


def test_apps_are_installed_with_their_labels():
    for label in APPS:
        config = django_apps.get_app_config(label)
        assert config.name == f"apps.{label}"
        assert (ROOT / "apps" / label / "migrations" / "__init__.py").exists()


def test_requirements_are_pinned():
    for name in ("base.txt", "embedded.txt", "dev.txt", "prod.txt"):
        for raw_line in (ROOT / "requirements" / name).read_text().splitlines():
            line = raw_line.split("#")[0].strip()
            if not line or line.startswith("-"):
                continue
            assert "==" in line or "<" in line, f"{name}: {line} is not pinned"
    constraints = (ROOT / "requirements" / "constraints.txt").read_text().splitlines()
    pins = [line for line in constraints if line and not line.startswith("#")]
    assert pins and all("==" in line for line in pins)
    assert any(line.lower().startswith("django==5.2.") for line in pins)
