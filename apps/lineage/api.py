"""REST endpoints of lineage, at /api/v1 as OpenLineage and Marquez name them (paths are a contract:
docs/lineage.md): POST /lineage (OpenLineage events), GET /lineage and /column-lineage (Marquez graphs),
/namespaces/... (Marquez lists), and DictaMesh's own /lineage/impact, /lineage/paths, /lineage/edges."""

from __future__ import annotations

import contextlib
import functools
from typing import Any

import orjson
from django.conf import settings
from django.http import HttpResponse
from ninja import Router
from ninja.responses import Status

from dictamesh.api.contract import documented
from dictamesh.api.fastroutes import FastRequest, FastRoute
from dictamesh.contracts import parse
from dictamesh.errors import DictaMeshError, ValidationError

from . import contracts as c
from . import governed, graph, impact, selectors, services
from .models import NodeKind
from .openlineage import PayloadTooLarge, decode

router = Router(tags=["lineage"])


def _max_body() -> int:
    return settings.DICTAMESH_LINEAGE_MAX_BODY_BYTES


def _decoded(body: bytes, *, declared: str, encoding: str) -> Any:
    """A request body as JSON: 413 over the limit (declared, read, or once decompressed), 400 when it is not
    JSON or not in its declared encoding. ``body``: at most the limit and one byte."""
    limit = _max_body()
    declared = declared or "0"
    if declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge(f"The body is {int(declared):,} bytes; at most {limit:,}.")
    return decode(body, encoding=encoding, limit=limit)


def _json(request) -> Any:
    return _decoded(
        request.read(_max_body() + 1),
        declared=request.META.get("CONTENT_LENGTH") or "",
        encoding=request.META.get("HTTP_CONTENT_ENCODING", ""),
    )


def _object(request) -> dict:
    body = _json(request)
    if not isinstance(body, dict):
        raise ValidationError("The body must be a JSON object.", fields={"body": "object"})
    return body


def caught_up(view):
    """A read of the graph: events accepted before the request are applied first (a client reads what it
    wrote, though the applier works in the background)."""

    @functools.wraps(view)
    def read(request, *args, **kwargs):
        services.catch_up()
        with governed.scope(request):  # and what the caller may not see stays hidden (governance)
            return view(request, *args, **kwargs)

    return read


def _fast_json(body: dict, *, status: int = 200) -> HttpResponse:
    """Graphs run to thousands of nodes, and events come by the thousand a second: serialised by orjson
    (their values are plain JSON already)."""
    return HttpResponse(orjson.dumps(body), content_type="application/json", status=status)


def _depth(value, default: int = 20) -> int:
    return graph.check_depth(min(default, settings.DICTAMESH_LINEAGE_MAX_DEPTH) if value is None else value)


def _node(node_id: str | None):
    if not node_id:
        raise ValidationError("nodeId is required.", fields={"nodeId": "required"})
    node = selectors.node_by_urn(node_id) if node_id.startswith("dm:") else selectors.node_by_id(node_id)
    governed.require(node)
    return node


# -- OpenLineage in --------------------------------------------------------------------------------------------


@router.post(
    "/lineage",
    response={201: dict},
    summary="Ingest an OpenLineage event (RunEvent, DatasetEvent, JobEvent; gzip allowed)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object", "description": "an OpenLineage event"}}
            },
        },
        **documented(responses={201: c.Ingested}),
    },
)
def lineage_ingest(request):
    body = _json(request)
    governed.require_ingest(request, body)
    return _fast_json(_ingested(services.ingest(body)), status=201)


def _ingested(result: services.Ingested) -> dict:
    return {
        "status": result.status,
        "kind": result.kind,
        "runId": str(result.run_id) if result.run_id else None,
    }


def ingest_fast(request: FastRequest) -> tuple[int, dict]:
    """POST /api/v1/lineage as a fast route (config/wsgi.py; dictamesh.api.fastroutes): the same answers."""
    body = _decoded(
        request.body, declared=request.header("Content-Length"), encoding=request.header("Content-Encoding")
    )
    try:
        governed.require_ingest(request, body)
    finally:
        _flush_audit(request)
    return 201, _ingested(services.ingest(body))


def _flush_audit(request) -> None:
    """Fast routes skip the middleware that writes a request's audit (its denials): write it here."""
    from dictamesh import decision_point

    decision_point.access(request).flush()


FAST_ROUTES = {"/api/v1/lineage": FastRoute(ingest_fast, max_body=_max_body, pattern="/api/v1/lineage")}


# -- Marquez graphs --------------------------------------------------------------------------------------------


@router.get(
    "/lineage",
    summary="The lineage graph around a dataset or job (Marquez)",
    openapi_extra=documented(responses={200: c.LineageGraph}),
)
@caught_up
def lineage_get(request, nodeId: str | None = None, depth: int | None = None):  # noqa: N803 - Marquez's names
    return _fast_json(graph.lineage_graph(_node(nodeId), _depth(depth)))


@router.get(
    "/column-lineage",
    summary="Column lineage of a field or of every field of a dataset (Marquez)",
    openapi_extra=documented(responses={200: c.LineageGraph}),
)
@caught_up
def column_lineage_get(
    request, nodeId: str | None = None, depth: int | None = None, withDownstream: bool = False
):  # noqa: N803
    if nodeId and nodeId.startswith("datasetField:"):
        fields = [selectors.field_by_id(nodeId)]
        governed.require(fields[0])
    else:
        dataset = _node(nodeId)
        if dataset.kind != NodeKind.DATASET:
            raise ValidationError(
                "Column lineage starts at a dataset or a field.", fields={"nodeId": "a dataset"}
            )
        fields = list(dataset.fields.filter(removed_at__isnull=True).select_related("dataset__namespace"))
    return _fast_json(graph.column_graph(fields, _depth(depth), downstream=withDownstream))


# -- impact and paths ------------------------------------------------------------------------------------------


@router.get(
    "/lineage/impact",
    summary="Everything downstream of a dataset, job or field, with paths and owners",
    openapi_extra=documented(responses={200: c.Impact}),
)
@caught_up
def impact_get(request, nodeId: str | None = None, depth: int | None = None):  # noqa: N803
    depth = _depth(depth, default=5)
    if nodeId and nodeId.startswith("datasetField:"):
        start = selectors.field_by_id(nodeId)
        governed.require(start)
        return impact.of_fields([start], depth)
    return impact.of_nodes([_node(nodeId)], depth)


@router.post(
    "/lineage/impact",
    summary="What a proposed schema for a subject would break downstream",
    openapi_extra=documented(body=c.SchemaImpactIn, responses={200: c.SchemaImpact}),
)
@caught_up
def impact_of_schema(request):
    body = parse(c.SchemaImpactIn, _object(request))
    return impact.of_schema(
        subject=body.subject,
        schema=body.schema_,
        schema_type=body.schemaType,
        depth=_depth(body.depth, default=5),
    )


@router.get(
    "/lineage/paths",
    summary="A shortest path between two nodes",
    openapi_extra=documented(responses={200: c.LineagePath}),
)
@caught_up
def paths_get(request, origin: str, destination: str, depth: int | None = None):
    return graph.shortest_path(_node(origin), _node(destination), max_depth=_depth(depth, default=10))


# -- manual edits ----------------------------------------------------------------------------------------------


@router.post(
    "/lineage/edges",
    response={201: dict},
    summary="Add a steward's edge (dataset → job or job → dataset)",
    openapi_extra=documented(body=c.EdgeIn, responses={201: c.Edge}),
)
def edge_add(request):
    body = parse(c.EdgeIn, _object(request))
    governed.require_write(request, *_nodes(body.origin, body.destination))
    return Status(201, services.edge_add(**body.model_dump()))


@router.delete("/lineage/edges", response={204: None}, summary="Remove an edge")
def edge_remove(request, origin: str, destination: str):
    governed.require_write(request, *_nodes(origin, destination))
    services.edge_remove(origin=origin, destination=destination)
    return Status(204, None)


@router.post(
    "/lineage/column-edges",
    response={201: dict},
    summary="Add a steward's column lineage",
    openapi_extra=documented(body=c.ColumnEdgeIn, responses={201: c.ColumnEdge}),
)
def column_edge_add(request):
    body = parse(c.ColumnEdgeIn, _object(request))
    governed.require_write(request, *_fields(body.input, body.output))
    return Status(
        201,
        services.column_edge_add(
            input_field=body.input, output_field=body.output, transformation_type=body.transformationType,
            description=body.description,
        ),
    )  # fmt: skip


@router.put(
    "/lineage/entity-link",
    summary="Link a dataset to another catalog entity (an adapter's table)",
    openapi_extra=documented(body=c.EntityLinkIn, responses={200: c.EntityLink}),
)
def dataset_link(request):
    body = parse(c.EntityLinkIn, _object(request))
    governed.require_write(request, *_nodes(body.nodeId))
    services.dataset_link(node_id=body.nodeId, urn=body.urn)
    return {"nodeId": body.nodeId, "urn": body.urn}


# -- freshness SLAs ----------------------------------------------------------------------------------------------


@router.get(
    "/lineage/freshness",
    summary="Datasets' freshness SLAs, late or on time",
    openapi_extra=documented(responses={200: c.FreshnessSlas}),
)
@caught_up
def freshness_list(request, late: bool | None = None, limit: int = 100, offset: int = 0):
    slas, total = selectors.freshness_list(
        late=late,
        limit=_page(limit, offset)[0],
        offset=offset,
        hidden=governed.hidden_sql(request, "n.entity_urn"),
    )
    return {"totalCount": total, "slas": slas}


@router.get(
    "/lineage/freshness/sla",
    summary="A dataset's freshness SLA",
    openapi_extra=documented(responses={200: c.FreshnessSla}),
)
@caught_up
def freshness_get(request, nodeId: str):  # noqa: N803 - Marquez's name
    return selectors.freshness_of(_node(nodeId))


@router.put(
    "/lineage/freshness/sla",
    summary="Set a dataset's freshness SLA (seconds between completed writes)",
    openapi_extra=documented(body=c.FreshnessSlaIn, responses={200: c.FreshnessSla}),
)
def freshness_set(request):
    body = parse(c.FreshnessSlaIn, _object(request))
    governed.require_write(request, *_nodes(body.nodeId))
    return services.freshness_set(node_id=body.nodeId, sla_seconds=body.slaSeconds)


@router.delete("/lineage/freshness/sla", response={204: None}, summary="Remove a dataset's freshness SLA")
def freshness_remove(request, nodeId: str):  # noqa: N803
    governed.require_write(request, *_nodes(nodeId))
    services.freshness_remove(node_id=nodeId)
    return Status(204, None)


def _nodes(*ids) -> list:
    """The nodes named (a write checks them); ids that name none are left to the service to report."""
    found = []
    for node_id in ids:
        if isinstance(node_id, str) and node_id:
            with contextlib.suppress(DictaMeshError):
                found.append(
                    selectors.node_by_urn(node_id)
                    if node_id.startswith("dm:")
                    else selectors.node_by_id(node_id)
                )
    return found


def _fields(*ids) -> list:
    found = []
    for field_id in ids:
        if isinstance(field_id, str) and field_id:
            with contextlib.suppress(DictaMeshError):
                found.append(selectors.field_by_id(field_id))
    return found


# -- Marquez lists (most specific paths first: names may hold slashes) -------------------------------------------


def _page(limit: int, offset: int) -> tuple[int, int]:
    if not 1 <= limit <= 1000 or offset < 0:
        raise ValidationError("limit is 1..1000, offset ≥ 0.", fields={"limit": "1..1000"})
    return limit, offset


@router.get(
    "/jobs/runs/{run_id}",
    summary="A run (Marquez)",
    openapi_extra=documented(responses={200: c.MarquezObject}),
)
@caught_up
def run_get(request, run_id: str):
    run = selectors.run_by_id(run_id)
    governed.require(selectors.job_of_run(run["id"]))
    return run


@router.get(
    "/namespaces/{path:namespace}/jobs/{path:name}/runs",
    summary="A job's runs, newest first (Marquez)",
    openapi_extra=documented(responses={200: c.MarquezPage}),
)
@caught_up
def job_runs(request, namespace: str, name: str, limit: int = 100, offset: int = 0):
    job = selectors.node_in(namespace, NodeKind.JOB, name)
    governed.require(job)
    runs, total = selectors.runs_of(job, limit=limit, offset=offset)
    return {"totalCount": total, "runs": runs}


@router.get(
    "/namespaces/{path:namespace}/jobs/{path:name}",
    summary="A job (Marquez)",
    openapi_extra=documented(responses={200: c.MarquezObject}),
)
@caught_up
def job_get(request, namespace: str, name: str):
    node = selectors.node_in(namespace, NodeKind.JOB, name)
    governed.require(node)
    return selectors.node_dicts([node])[node.pk]


@router.get(
    "/namespaces/{path:namespace}/jobs",
    summary="The jobs of a namespace (Marquez)",
    openapi_extra=documented(responses={200: c.MarquezPage}),
)
@caught_up
def jobs_list(request, namespace: str, limit: int = 100, offset: int = 0):
    jobs, total = selectors.nodes_in(
        namespace,
        NodeKind.JOB,
        limit=_page(limit, offset)[0],
        offset=offset,
        hidden=governed.hidden_sql(request, "n.entity_urn"),
    )
    return {"totalCount": total, "jobs": jobs}


@router.get(
    "/namespaces/{path:namespace}/datasets/{path:name}",
    summary="A dataset (Marquez)",
    openapi_extra=documented(responses={200: c.MarquezObject}),
)
@caught_up
def dataset_get(request, namespace: str, name: str):
    node = selectors.node_in(namespace, NodeKind.DATASET, name)
    governed.require(node)
    return selectors.node_dicts([node])[node.pk]


@router.get(
    "/namespaces/{path:namespace}/datasets",
    summary="The datasets of a namespace (Marquez)",
    openapi_extra=documented(responses={200: c.MarquezPage}),
)
@caught_up
def datasets_list(request, namespace: str, limit: int = 100, offset: int = 0):
    datasets, total = selectors.nodes_in(
        namespace,
        NodeKind.DATASET,
        limit=_page(limit, offset)[0],
        offset=offset,
        hidden=governed.hidden_sql(request, "n.entity_urn"),
    )
    return {"totalCount": total, "datasets": datasets}


@router.get(
    "/namespaces/{path:namespace}",
    summary="A namespace (Marquez)",
    openapi_extra=documented(responses={200: c.MarquezObject}),
)
@caught_up
def namespace_get(request, namespace: str):
    return selectors.namespace(namespace)


@router.get(
    "/namespaces", summary="Namespaces (Marquez)", openapi_extra=documented(responses={200: c.MarquezPage})
)
@caught_up
def namespaces_list(request):
    return {"namespaces": selectors.namespaces()}
