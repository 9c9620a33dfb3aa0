"""Import rules (import-linter): dictamesh never imports apps or config; apps meet only through public.py."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT = str(Path(sys.executable).parent / "lint-imports")


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [LINT, "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "PYTHONPATH": str(cwd)},
    )


def test_the_code_keeps_the_rules():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 4 kept, 0 broken" in result.stdout


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "repo"
    target.mkdir()
    for name in ("dictamesh", "apps", "config"):
        shutil.copytree(ROOT / name, target / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def test_a_core_module_importing_an_app_is_caught(tmp_path):
    repo = _copy(tmp_path)
    (repo / "dictamesh" / "leak.py").write_text("import apps.catalog.apps\n")
    result = _lint(repo)
    assert result.returncode != 0 and "dictamesh.leak" in result.stdout


def test_an_app_reaching_into_another_is_caught_but_public_is_allowed(tmp_path):
    repo = _copy(tmp_path)
    (repo / "apps" / "catalog" / "public.py").write_text("from apps.catalog.apps import CatalogConfig\n")
    (repo / "apps" / "lineage" / "ok.py").write_text("import apps.catalog.public\n")
    assert _lint(repo).returncode == 0
    (repo / "apps" / "lineage" / "bad.py").write_text("import apps.catalog.apps\n")
    result = _lint(repo)
    assert result.returncode != 0 and "apps.lineage.bad" in result.stdout
