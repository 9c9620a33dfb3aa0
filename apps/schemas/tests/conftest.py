from __future__ import annotations

import json

import pytest

from tests.conftest import client, token, user  # noqa: F401 - shared fixtures


@pytest.fixture(autouse=True)
def fresh_parse_cache():
    """Schema ids restart in every test database: parsed schemas cached under an id must not leak."""
    from apps.schemas import selectors

    selectors._PARSED.clear()
    yield
    selectors._PARSED.clear()


def record(name: str, *fields: dict, **extra) -> str:
    return json.dumps({"type": "record", "name": name, "fields": list(fields), **extra})


def field(name: str, type_, **extra) -> dict:
    return {"name": name, "type": type_, **extra}
