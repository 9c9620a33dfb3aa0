from __future__ import annotations

import gzip
import uuid

import orjson
import pytest

from tests.conftest import bearer, client, fresh_registry_caches, token, user  # noqa: F401 - shared fixtures

PRODUCER = "https://github.com/OpenLineage/OpenLineage/tree/1.0.0/integration/airflow"
PG = "postgres://db:5432"
SCHEMA_URL = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"


def dataset(namespace: str, name: str, fields: list[tuple[str, str]] | None = None, **facets) -> dict:
    out = {"namespace": namespace, "name": name, "facets": dict(facets)}
    if fields is not None:
        out["facets"]["schema"] = {
            "_producer": PRODUCER,
            "_schemaURL": "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json",
            "fields": [{"name": n, "type": t} for n, t in fields],
        }
    return out


def run_event(event_type: str, job: str, *, run_id: str | None = None, inputs=(), outputs=(),
              time: str = "2026-11-26T10:00:00.000Z", namespace: str = "airflow", **extra) -> dict:  # fmt: skip
    return {
        "eventType": event_type,
        "eventTime": time,
        "producer": PRODUCER,
        "schemaURL": SCHEMA_URL,
        "run": {"runId": run_id or str(uuid.uuid4()), "facets": extra.pop("run_facets", {})},
        "job": {"namespace": namespace, "name": job, "facets": extra.pop("job_facets", {})},
        "inputs": list(inputs),
        "outputs": list(outputs),
        **extra,
    }


def column_lineage(mapping: dict[str, list[tuple[str, str, str]]], **spec) -> dict:
    """{output field: [(input namespace, input dataset, input field)]} as a columnLineage facet."""
    return {
        "_producer": PRODUCER,
        "_schemaURL": "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json",
        "fields": {
            out: {
                "inputFields": [
                    {
                        "namespace": ns,
                        "name": name,
                        "field": f,
                        "transformations": [{"type": "DIRECT", "subtype": "IDENTITY"}],
                    }
                    for ns, name, f in sources
                ],
                **spec,
            }
            for out, sources in mapping.items()
        },
    }


def post(client, token, body, *, gzipped: bool = False, **headers):  # noqa: F811
    data = orjson.dumps(body) if not isinstance(body, bytes) else body
    if gzipped:
        data = gzip.compress(data)
        headers["HTTP_CONTENT_ENCODING"] = "gzip"
    return client.post(
        "/api/v1/lineage", data=data, content_type="application/json", **bearer(token), **headers
    )


@pytest.fixture
def ingest(client, token):  # noqa: F811
    def send(body, **kwargs):
        response = post(client, token, body, **kwargs)
        assert response.status_code == 201, response.content
        return response.json()

    return send


@pytest.fixture
def chain(ingest):
    """raw → load → staged → build → mart (build also reads dim); mart.total ← staged.amount ← raw.amount."""
    ingest(run_event("COMPLETE", "load", inputs=[dataset(PG, "raw", [("amount", "int"), ("id", "int")])],
                     outputs=[dataset(PG, "staged", [("amount", "int")], columnLineage=column_lineage(
                         {"amount": [(PG, "raw", "amount")]}))]))  # fmt: skip
    ingest(run_event("COMPLETE", "build", inputs=[dataset(PG, "staged"), dataset(PG, "dim")],
                     outputs=[dataset("warehouse", "mart", [("total", "int")], columnLineage=column_lineage(
                         {"total": [(PG, "staged", "amount")]}),
                         ownership={"owners": [{"name": "user:carol"}]})]))  # fmt: skip
