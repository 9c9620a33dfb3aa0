"""``dictamesh adapter``: sync with a progress bar, list, test, and ``new`` (an installable plugin package)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from apps.adapters import services
from apps.adapters.contracts import InstanceIn
from apps.catalog import public as catalog
from dictamesh.contracts import parse

from .conftest import rest_config

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.django_db
def test_sync_list_and_test_from_the_command_line(source, crm_token):
    services.instance_create(
        instance=parse(
            InstanceIn, {"name": "crm", "kind": "rest", "domain": "sales", "config": rest_config(source.url)}
        )
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("adapter", "sync", "crm", stdout=out, stderr=err)
    assert out.getvalue().startswith("succeeded in ") and "created 130" in out.getvalue()
    assert "sync crm" in err.getvalue() and "130" in err.getvalue()  # the progress bar
    assert catalog.entity_ref(urn="dm:crm:invoice:INV-00001") is not None
    listed = io.StringIO()
    call_command("adapter", "list", stdout=listed)
    assert listed.getvalue().startswith("crm\trest\tenabled\tlast success: 20")
    tested = io.StringIO()
    call_command("adapter", "test", "crm", stdout=tested)
    assert tested.getvalue().startswith("ok: reachable")
    source.fail("/api/customers", [(404, {})])
    with pytest.raises(SystemExit) as failed:
        call_command("adapter", "sync", "crm", stdout=io.StringIO(), stderr=io.StringIO())
    assert failed.value.code == 1
    with pytest.raises(CommandError, match="No adapter instance"):
        call_command("adapter", "sync", "nope", stdout=io.StringIO(), stderr=io.StringIO())


def test_new_scaffolds_an_installable_plugin_whose_test_passes(tmp_path):
    dictamesh = [sys.executable, "-m", "dictamesh.cli"]
    made = subprocess.run([*dictamesh, "adapter", "new", "inventory", "--dir", str(tmp_path)], cwd=ROOT,
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert made.returncode == 0, made.stderr
    package = tmp_path / "dictamesh-adapter-inventory"
    assert (package / "src/dictamesh_adapter_inventory/adapter.py").exists()
    again = subprocess.run([*dictamesh, "adapter", "new", "inventory", "--dir", str(tmp_path)], cwd=ROOT,
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert again.returncode == 2 and "exists" in again.stderr
    site = tmp_path / "site"
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(site), str(package)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)])}
    pytest_args = ["-q", "-p", "no:django", "-p", "no:cacheprovider", str(package / "tests")]
    tests = subprocess.run([sys.executable, "-m", "pytest", *pytest_args], cwd=package, env=env,
                           capture_output=True, text=True, check=False)  # fmt: skip
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "2 passed" in tests.stdout
    # installed, the plugin is an adapter kind of the deployment
    kinds = subprocess.run(
        [sys.executable, "-c", "from dictamesh.adapters import registry; print(sorted(registry.available()))"],
        cwd=ROOT, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert "'inventory'" in kinds.stdout, kinds.stderr
