"""Issue 19's cached governed lookup of a schema id's subjects keeps issue 18's guarantee: a schema id only
a hidden subject uses is not found; once a readable subject uses it too (or no longer), the next read says
so — the cache entry is dropped by the registry's writes, in every process."""

from __future__ import annotations

import json

from apps.governance.tests.helpers import urn
from apps.schemas.public import register_schema

AVRO = json.dumps({"type": "record", "name": "Pay", "fields": [{"name": "amount", "type": "int"}]})
REGISTRY = "/schema-registry"


def _schema_id(client, headers, subject):
    return client.get(f"{REGISTRY}/subjects/{subject}/versions/latest", **headers).json()["id"]


def test_a_schema_ids_readers_follow_the_registrys_writes(world, client):
    register_schema(subject="payroll-value", schema_type="AVRO", schema=AVRO)
    link = json.dumps({"schema_subject": "payroll-value"})
    response = client.patch(
        f"/api/v1/catalog/entities/{urn('salaries')}", link, content_type="application/json", **world["root"]
    )
    assert response.status_code == 200, response.content
    schema_id = _schema_id(client, world["root"], "payroll-value")
    by_id = f"{REGISTRY}/schemas/ids/{schema_id}"
    for _ in range(2):  # the second read comes from the cache
        assert client.get(by_id, **world["alice"]).json()["error_code"] == 40403
    register_schema(subject="pay-public-value", schema_type="AVRO", schema=AVRO)  # the same schema, same id
    assert _schema_id(client, world["root"], "pay-public-value") == schema_id
    assert client.get(by_id, **world["alice"]).status_code == 200  # now readable through the new subject
    for path in (
        f"{REGISTRY}/subjects/pay-public-value/versions/1",
        f"{REGISTRY}/subjects/pay-public-value/versions/1?permanent=true",
    ):
        assert client.delete(path, **world["root"]).status_code == 200
    assert client.get(by_id, **world["alice"]).json()["error_code"] == 40403  # hidden again
    assert client.get(by_id, **world["root"]).status_code == 200
