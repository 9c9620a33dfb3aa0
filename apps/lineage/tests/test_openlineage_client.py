"""OpenLineage's own Python client, unchanged, talks to DictaMesh over HTTP (gzip, api key as a Bearer token)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from openlineage.client import OpenLineageClient
from openlineage.client.event_v2 import (
    DatasetEvent,
    InputDataset,
    Job,
    OutputDataset,
    Run,
    RunEvent,
    RunState,
    StaticDataset,
)
from openlineage.client.facet_v2 import column_lineage_dataset, documentation_dataset, schema_dataset
from openlineage.client.transport.http import ApiKeyTokenProvider, HttpCompression, HttpConfig, HttpTransport
from requests import HTTPError

from apps.lineage import services
from apps.lineage.models import ColumnEdge, DatasetField, Edge, Node
from apps.lineage.models import Run as StoredRun

pytestmark = pytest.mark.django_db(transaction=True)


def client_for(url: str, token: str) -> OpenLineageClient:
    config = HttpConfig(
        url=url,
        endpoint="api/v1/lineage",
        auth=ApiKeyTokenProvider({"apiKey": token}),
        compression=HttpCompression.GZIP,
        retry={"total": 0},
    )
    return OpenLineageClient(transport=HttpTransport(config))


def test_the_openlineage_python_client_emits_to_dictamesh(live_server, token):
    ol = client_for(live_server.url, token)
    run_id = str(uuid.uuid4())
    schema = schema_dataset.SchemaDatasetFacet(
        fields=[schema_dataset.SchemaDatasetFacetFields(name="id", type="BIGINT"),
                schema_dataset.SchemaDatasetFacetFields(name="amount", type="DECIMAL")]
    )  # fmt: skip
    lineage = column_lineage_dataset.ColumnLineageDatasetFacet(
        fields={
            "total": column_lineage_dataset.Fields(
                inputFields=[
                    column_lineage_dataset.InputField(
                        namespace="postgres://db:5432", name="shop.orders", field="amount"
                    )
                ],
                transformationType="INDIRECT",
                transformationDescription="sum",
            )
        }
    )
    inputs = [InputDataset(namespace="postgres://db:5432", name="shop.orders", facets={"schema": schema})]
    outputs = [OutputDataset(namespace="warehouse", name="daily_revenue", facets={"columnLineage": lineage})]
    job = Job(namespace="dbt", name="revenue.daily")
    for state in (RunState.START, RunState.COMPLETE):
        ol.emit(
            RunEvent(
                eventType=state,
                eventTime=datetime.now(UTC).isoformat(),
                run=Run(runId=run_id),
                job=job,
                producer="https://github.com/OpenLineage/OpenLineage/tree/1.54.0/client/python",
                inputs=inputs,
                outputs=outputs,
            )
        )
    ol.emit(
        DatasetEvent(
            eventTime=datetime.now(UTC).isoformat(),
            producer="test",
            dataset=StaticDataset(
                namespace="warehouse",
                name="daily_revenue",
                facets={
                    "documentation": documentation_dataset.DocumentationDatasetFacet(
                        description="Revenue per day"
                    )
                },
            ),
        )
    )
    services.catch_up()  # accepted over HTTP: applied by the server's applier, or here
    assert StoredRun.objects.get(run_id=run_id).state == "COMPLETE"
    job_node = Node.objects.get(kind="job", name="revenue.daily")
    assert Edge.objects.filter(source=job_node, target__name="daily_revenue").exists()
    assert Edge.objects.filter(source__name="shop.orders", target=job_node).exists()
    assert [f.name for f in DatasetField.objects.filter(dataset__name="shop.orders").order_by("ordinal")] == [
        "id",
        "amount",
    ]
    edge = ColumnEdge.objects.select_related("input", "output").get()
    assert (edge.input.name, edge.output.name, edge.transformation_type) == ("amount", "total", "INDIRECT")
    assert Node.objects.get(name="daily_revenue").description == "Revenue per day"


def test_the_client_sees_dictamesh_refuse_a_bad_token(live_server):
    ol = client_for(live_server.url, "dm_not_a_token")
    with pytest.raises(HTTPError) as failure:
        ol.emit(
            RunEvent(
                eventType=RunState.START,
                eventTime=datetime.now(UTC).isoformat(),
                run=Run(runId=str(uuid.uuid4())),
                job=Job(namespace="dbt", name="x"),
                producer="test",
            )
        )
    assert failure.value.response.status_code == 401
    assert not Node.objects.exists()
