"""``dictamesh adapter new NAME``: an installable adapter package, with a passing test, to fill in.

    dictamesh adapter new inventory [--dir .]
    cd dictamesh-adapter-inventory && pip install -e . && pytest

The package declares its adapter in the ``dictamesh.adapters`` entry-point group: once installed next to
DictaMesh, the kind ``inventory`` is available to instances (admin, REST) with no change to DictaMesh.
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from pathlib import Path

PYPROJECT = """\
[build-system]
requires = ["setuptools>=61"]
build-backend = "setuptools.build_meta"

[project]
name = "dictamesh-adapter-{name}"
version = "0.1.0"
description = "A DictaMesh adapter for {title}"
requires-python = ">=3.11"
dependencies = []  # DictaMesh itself provides dictamesh.adapters and pydantic

[project.entry-points."dictamesh.adapters"]
{name} = "{package}.adapter:{cls}"

[tool.setuptools.packages.find]
where = ["src"]
"""

ADAPTER = '''\
"""A DictaMesh adapter for {title}: fill in how to reach the source, list its records and fetch them."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from dictamesh.adapters import (
    Adapter, AdapterConfig, Change, EntityType, EnvSecret, Health, PermanentError, SyncBatch,
)


class Config(AdapterConfig):
    """What an instance is configured with (validated; the admin's form and the REST docs come from it)."""

    url: str = Field("memory://", description="where the source is")
    token: EnvSecret | None = Field(None, description='a secret from the environment: {{"env": "NAME"}}')


# Replace with calls to the source: these records stand for what it holds.
RECORDS = {{"item": [{{"id": "1", "name": "First item"}}, {{"id": "2", "name": "Second item"}}]}}


class {cls}(Adapter):
    kind = "{name}"
    title = "{title}"
    Config = Config

    def health(self) -> Health:
        return Health(True, "reachable")

    def discover(self) -> list[EntityType]:
        return [EntityType(name, f"{{name}} records") for name in RECORDS]

    def sync(self, *, checkpoint: dict | None = None, full: bool = False) -> Iterator[SyncBatch]:
        for entity_type, records in RECORDS.items():
            changes = [Change(type=entity_type, key=r["id"], name=r["name"], properties=r) for r in records]
            yield SyncBatch(changes, checkpoint={{"done": True}})

    def fetch(self, entity_type: str, keys: list[str]) -> dict[str, dict | None]:
        if entity_type not in RECORDS:
            raise PermanentError(f"No entity type {{entity_type!r}}.")
        found = {{r["id"]: r for r in RECORDS[entity_type]}}
        return {{key: found.get(key) for key in keys}}
'''

TEST = """\
import pytest
from pydantic import ValidationError

from {package}.adapter import {cls}


def test_the_adapter_syncs_and_fetches():
    with {cls}({cls}.Config.model_validate({{}}), instance="test") as adapter:
        assert adapter.health().ok
        changes = [c for batch in adapter.sync() for c in batch.changes]
        assert [c.key for c in changes] == ["1", "2"]
        assert adapter.fetch("item", ["2", "9"]) == {{"2": {{"id": "2", "name": "Second item"}}, "9": None}}


def test_the_configuration_refuses_unknown_keys_and_literal_secrets():
    with pytest.raises(ValidationError):
        {cls}.Config.model_validate({{"colour": "blue"}})
    with pytest.raises(ValidationError):
        {cls}.Config.model_validate({{"token": "s3cret"}})
"""

README = """\
# dictamesh-adapter-{name}

A DictaMesh adapter for {title}. Install it next to DictaMesh (`pip install .`): the kind `{name}` then
appears in the admin (Adapters → instances) and in `GET /api/v1/adapters/kinds`.

- `src/{package}/adapter.py`: the configuration (`Config`) and the adapter (`health`, `discover`, `sync`,
  `fetch`; optionally `search`, `sample`, `erase`). Raise `RetryableError` for what may pass (timeouts, 429,
  5xx) and `PermanentError` otherwise.
- `tests/`: `pytest`.
"""


def scaffold(name: str, directory: Path) -> Path:
    if not re.fullmatch(r"[a-z][a-z0-9_]{1,40}", name):
        raise ValueError("NAME: 2-41 lowercase letters, digits or _, starting with a letter")
    package = f"dictamesh_adapter_{name}"
    cls = "".join(part.capitalize() for part in name.split("_")) + "Adapter"
    title = name.replace("_", " ").title()
    root = directory / f"dictamesh-adapter-{name.replace('_', '-')}"
    if root.exists():
        raise FileExistsError(f"{root} exists")
    values = {"name": name, "package": package, "cls": cls, "title": title}
    files = {
        "pyproject.toml": PYPROJECT,
        "README.md": README,
        f"src/{package}/__init__.py": '"""A DictaMesh adapter for {title}."""\n',
        f"src/{package}/adapter.py": ADAPTER,
        "tests/test_adapter.py": TEST,
    }
    for relative, template in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(template).format(**values))
    return root


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="dictamesh adapter new", description=__doc__.split("\n\n")[0])
    parser.add_argument("name")
    parser.add_argument("--dir", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)
    try:
        root = scaffold(args.name, args.dir)
    except (ValueError, FileExistsError) as exc:
        print(f"dictamesh adapter new: {exc}", file=sys.stderr)
        return 2
    print(f"created {root}\n  cd {root} && pip install -e . && pytest")
    return 0
