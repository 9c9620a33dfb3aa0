"""TypeScript clients too: openapi-typescript (an npm generator, pinned in tests/platform/typescript) makes
types of the live server's OpenAPI document without a warning; tsc type-checks a small openapi-fetch client
against them (a field the contract does not have is a compile error, as it is a 400 on the server); node runs
it against the live server: it creates, reads and searches an entity with typed answers, and gets the one
error shape, also for a caller the governance policies keep from the entity."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from apps.catalog import services
from dictamesh.auth.services import api_token_create, user_ensure

pytestmark = pytest.mark.django_db(transaction=True)
PROJECT = Path(__file__).resolve().parent / "typescript"
NODE, NPM = shutil.which("node"), shutil.which("npm")


@pytest.fixture(scope="module")
def toolchain() -> Path:
    """The pinned npm packages (package-lock.json), installed once per lock file in the user's cache."""
    if NODE is None or NPM is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Node.js and npm for the TypeScript client test (.ci/run installs them)")
        pytest.skip("no node/npm here: apt-get install nodejs npm")
    lock = (PROJECT / "package-lock.json").read_bytes()
    where = Path.home() / ".cache" / "dictamesh" / "typescript" / hashlib.sha256(lock).hexdigest()[:16]
    if not (where / "node_modules" / ".bin" / "tsc").exists():
        where.mkdir(parents=True, exist_ok=True)
        for name in ("package.json", "package-lock.json"):
            shutil.copy(PROJECT / name, where / name)
        done = subprocess.run(  # noqa: S603 - npm from PATH, the project's own lock file
            [NPM, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
            cwd=where, capture_output=True, text=True, timeout=600,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return where


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)  # noqa: S603


def test_generated_typescript_types_compile_and_a_client_works_against_the_live_api(
    live_server, tmp_path, toolchain
):
    services.domain_create(name="sales")
    services.source_create(name="crm", kind="salesforce")
    root = api_token_create(user=user_ensure(username="root", superuser=True), name="t").clear
    stranger = api_token_create(user=user_ensure(username="stranger"), name="t").clear
    with urllib.request.urlopen(f"{live_server.url}/api/v1/openapi.json", timeout=30) as response:
        (tmp_path / "openapi.json").write_bytes(response.read())
    for name in ("check.ts", "tsconfig.json", "package.json"):
        shutil.copy(PROJECT / name, tmp_path / name)
    (tmp_path / "node_modules").symlink_to(toolchain / "node_modules")
    bin_ = toolchain / "node_modules" / ".bin"

    # request bodies' defaulted fields are optional to send: not "non-nullable because of a default"
    generated = _run([str(bin_ / "openapi-typescript"), "openapi.json", "-o", "api.d.ts",
                      "--default-non-nullable", "false"], tmp_path)  # fmt: skip
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    assert "warn" not in output.lower() and "error" not in output.lower(), output
    types = (tmp_path / "api.d.ts").read_text()
    assert '"/api/v1/catalog/entities/{urn}"' in types and "Problem: {" in types

    compiled = _run([str(bin_ / "tsc"), "-p", "."], tmp_path)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr  # incl. the expected compile error

    ran = _run([NODE, "out/check.js", live_server.url, root, stranger], tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    answer = json.loads(ran.stdout.strip().splitlines()[-1])
    assert answer["created"] == 201 and answer["urn"] == "dm:crm:table:orders" and answer["version"] == 1
    assert answer["tags"] == ["finance"]
    assert answer["read"] == "orders" and answer["classification"] == "restricted"
    assert answer["found"] == ["dm:crm:table:orders"]
    # the outsider may not read a restricted entity: a 404 in the one error shape, as for a missing one
    assert answer["hidden"] == 404 and answer["hiddenCode"] == "not_found"
    assert answer["refused"] == 400 and answer["refusedFields"] == {"source_system": "unknown field"}
