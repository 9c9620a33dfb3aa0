from __future__ import annotations

import json

import pytest

from tests.conftest import client, fresh_registry_caches, token, user  # noqa: F401 - shared fixtures


@pytest.fixture(autouse=True)
def fresh_ids(request):
    """Every test starts like a new registry: global ids from 1 (a sequence is not rolled back with a test)."""
    if request.node.get_closest_marker("django_db") is None and "db" not in request.fixturenames:
        return
    request.getfixturevalue("db" if "transactional_db" not in request.fixturenames else "transactional_db")
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT setval('dictamesh_schemas_schema_id_seq', 1, false)")


def record(name: str, *fields: dict, **extra) -> str:
    return json.dumps({"type": "record", "name": name, "fields": list(fields), **extra})


def field(name: str, type_, **extra) -> dict:
    return {"name": name, "type": type_, **extra}
