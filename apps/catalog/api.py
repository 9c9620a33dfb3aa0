"""REST endpoints of the catalog, under /api/v1/catalog (paths are a contract: docs/catalog.md)."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime
from ninja import Query, Router, Schema
from ninja.responses import Status

from dictamesh.api.base import json_body, json_object
from dictamesh.api.contract import Strict, documented
from dictamesh.contracts import parse
from dictamesh.errors import NotFound, ValidationError

from . import contracts, documents, governed, graph, relationships, search, selectors, services
from .inputs import entity_input
from .selectors import EntityFilter
from .state import relationship_state

router = Router(tags=["catalog"])


_body = json_body
_object = json_object


def _domain_out(d) -> dict:
    return {"name": d.name, "display_name": d.display_name, "description": d.description, "owner": d.owner}


def _source_out(s) -> dict:
    return {
        "name": s.name,
        "kind": s.kind,
        "display_name": s.display_name,
        "description": s.description,
        "connection_ref": s.connection_ref,
        "owner": s.owner,
    }


class DomainIn(Strict):
    name: str
    display_name: str = ""
    description: str = ""
    owner: str = ""


class SourceIn(Strict):
    name: str
    kind: str
    display_name: str = ""
    description: str = ""
    connection_ref: str = ""
    owner: str = ""


@router.post(
    "/domains", response={201: dict}, summary="Create a domain",
    openapi_extra=documented(responses={201: contracts.DomainOut}),
)  # fmt: skip
def domain_create(request, payload: DomainIn):
    governed.require_structure(request, domain=payload.name)
    return Status(201, _domain_out(services.domain_create(**payload.dict())))


@router.get(
    "/domains", summary="All domains", openapi_extra=documented(responses={200: list[contracts.DomainOut]})
)
def domain_list(request):
    return [_domain_out(d) for d in selectors.domain_list()]


@router.post(
    "/sources", response={201: dict}, summary="Register a source system",
    openapi_extra=documented(responses={201: contracts.SourceOut}),
)  # fmt: skip
def source_create(request, payload: SourceIn):
    governed.require_structure(request, source=payload.name)
    return Status(201, _source_out(services.source_create(**payload.dict())))


@router.get(
    "/sources",
    summary="All source systems",
    openapi_extra=documented(responses={200: list[contracts.SourceOut]}),
)
def source_list(request):
    return [_source_out(s) for s in selectors.source_list()]


class EntityListQuery(Schema):
    domain: str | None = None
    source: str | None = None
    type: str | None = None
    tag: list[str] = []
    owner: str | None = None
    classification: str | None = None
    include_deprecated: bool = True
    sort: str = "urn"
    limit: int = 50
    cursor: str | None = None


def _filters(request, q) -> EntityFilter:
    return EntityFilter(
        visible=governed.visible(request),
        domain=q.domain,
        source=q.source,
        type=q.type,
        tags=tuple(q.tag),
        owner=q.owner,
        classification=q.classification,
        include_deprecated=q.include_deprecated,
    )


@router.post(
    "/entities",
    response={201: dict, 200: dict},
    summary="Register an entity (201 when new, 200 when it existed)",
    openapi_extra=documented(
        body=contracts.EntityIn, responses={201: contracts.Entity, 200: contracts.Entity}
    ),
)
def entity_register(request):
    entity, status = services.entity_register(
        entity=entity_input(_object(request)), check=governed.write_check(request)
    )
    state = governed.entity(request, selectors.entity_get(urn=entity.urn, use_cache=False))
    return Status(201 if status == "created" else 200, state)


@router.get(
    "/entities",
    summary="List entities (filters, keyset cursor)",
    openapi_extra=documented(responses={200: contracts.EntityPage}),
)
def entity_list(request, q: Query[EntityListQuery]):
    page = selectors.entity_list(filters=_filters(request, q), sort=q.sort, first=q.limit, after=q.cursor)
    return {
        "items": governed.entities(request, page.items, filtered=True),
        "next_cursor": page.next_cursor,
    }


@router.post(
    "/entities/bulk",
    summary="Create or update up to 10,000 entities by URN",
    openapi_extra=documented(body=contracts.EntityBulkIn, responses={200: contracts.BulkResult}),
)
def entity_bulk(request):
    from django.conf import settings

    body = _body(request)
    if isinstance(body, list):  # a bare array of entities
        body = {"entities": body}
    if not isinstance(body, dict) or not isinstance(body.get("entities"), list):
        raise ValidationError('Send {"entities": [...]} or a JSON array.', fields={"entities": "array"})
    limit = settings.DICTAMESH_CATALOG_BULK_MAX
    if len(body["entities"]) > limit:
        raise ValidationError(f"At most {limit} entities per call.", fields={"entities": f"at most {limit}"})
    bulk = parse(contracts.BulkRequest, body)
    results = services.entities_upsert(
        items=bulk.entities, synced=bulk.synced, check=governed.write_check(request)
    )
    counts: dict[str, int] = {}
    for result in results:
        counts[result.status] = counts.get(result.status, 0) + 1
    return {"counts": counts, "results": [r.as_dict() for r in results]}


@router.get(
    "/entities/{path:urn}/history",
    summary="Versions of an entity; ?at= for the one current then",
    openapi_extra=documented(responses={200: contracts.EntityHistory | contracts.EntityVersion}),
)
def entity_history(request, urn: str, at: str | None = None):
    if at:
        when = parse_datetime(at)
        if when is None:
            raise ValidationError("at must be an ISO 8601 date-time.", fields={"at": "date-time"})
        found = governed.versions(request, _live(urn), [selectors.entity_as_of(urn=urn, at=when)])
        if not found:
            raise NotFound(f"Entity {urn} did not exist at {when.isoformat()}.")
        return _version_out(found[0])
    versions = governed.versions(request, _live(urn), selectors.entity_history(urn=urn))
    return {"urn": urn, "versions": [_version_out(v) for v in versions]}


def _live(urn: str) -> dict | None:
    try:
        return selectors.entity_get(urn=urn)
    except NotFound:
        return None


@router.get(
    "/entities/{path:urn}/diff",
    summary="Field-level diff between two versions",
    openapi_extra=documented(responses={200: contracts.EntityDiff}),
)
def entity_diff(
    request, urn: str, from_version: int = Query(..., alias="from"), to_version: int = Query(..., alias="to")
):
    changes = selectors.entity_diff(urn=urn, from_version=from_version, to_version=to_version)
    reference = _live(urn) or selectors.entity_history(urn=urn)[-1].state
    return {
        "urn": urn,
        "from": from_version,
        "to": to_version,
        "changes": governed.diff(request, reference, changes),
    }


class NeighborQuery(Schema):
    depth: int = 1
    direction: str = "both"
    predicate: list[str] = []
    limit: int = 500


@router.get(
    "/entities/{path:urn}/neighbors",
    summary="Entities within N hops, and the relationships among them",
    openapi_extra=documented(responses={200: contracts.Subgraph}),
)
def entity_neighbors(request, urn: str, q: Query[NeighborQuery]):
    return graph.subgraph(
        urn=urn,
        depth=q.depth,
        direction=q.direction,
        predicates=q.predicate or None,
        limit=q.limit,
        visible=governed.visible(request),
    )


@router.post(
    "/entities/{path:urn}/deprecate",
    summary="Deprecate (or, with deprecated=false, undeprecate)",
    openapi_extra=documented(
        body=contracts.DeprecateIn, responses={200: contracts.Entity}, body_required=False
    ),
)
def entity_deprecate(request, urn: str):
    body = parse(contracts.DeprecateIn, _object(request) if request.body else {})
    governed.require(request, "write", selectors.entity_get(urn=urn))
    services.entity_deprecate(urn=urn, note=body.note, deprecated=body.deprecated)
    return governed.entity(request, selectors.entity_get(urn=urn, use_cache=False))


@router.post(
    "/entities/{path:urn}/documents",
    response={201: dict},
    summary="Attach a document for retrieval",
    openapi_extra=documented(body=contracts.DocumentIn, responses={201: contracts.DocumentAttached}),
)
def document_attach(request, urn: str):
    body = parse(contracts.DocumentIn, _object(request))
    governed.require(request, "write", selectors.entity_get(urn=urn))
    document = documents.document_attach(urn=urn, document=body)
    return Status(201, {"id": document.pk, "title": document.title, "chunks": document.chunks.count()})


@router.get(
    "/entities/{path:urn}",
    summary="One entity by URN (cached)",
    openapi_extra=documented(responses={200: contracts.Entity}),
)
def entity_get(request, urn: str):
    return governed.entity(request, selectors.entity_get(urn=urn))


@router.patch(
    "/entities/{path:urn}",
    summary="Change an entity's fields (a new version)",
    openapi_extra=documented(body=contracts.EntityChanges, responses={200: contracts.Entity}),
)
def entity_update(request, urn: str):
    services.entity_update(
        urn=urn, changes=entity_input(_object(request)), check=governed.write_check(request)
    )
    return governed.entity(request, selectors.entity_get(urn=urn, use_cache=False))


@router.delete(
    "/entities/{path:urn}",
    summary="Delete an entity (soft: history kept, hidden from reads)",
    openapi_extra=documented(responses={200: contracts.EntityDeleted}),
)
def entity_delete(request, urn: str):
    governed.require(request, "delete", selectors.entity_get(urn=urn))
    entity = services.entity_delete(urn=urn)
    return {"urn": entity.urn, "deleted": True, "version": entity.version}


def _version_out(v) -> dict:
    return {
        "version": v.version,
        "change": v.change,
        "changed_fields": v.changed_fields,
        "actor": v.actor,
        "changed_at": v.changed_at,
        "state": v.state,
    }


@router.post(
    "/relationships",
    response={201: dict, 200: dict},
    summary="Add (or update) a relationship",
    openapi_extra=documented(
        body=contracts.RelationshipIn, responses={201: contracts.Relationship, 200: contracts.Relationship}
    ),
)
def relationship_add(request):
    body = parse(contracts.RelationshipIn, _object(request))
    governed.require_urn(request, "write", body.source)
    governed.require_urn(request, "read", body.target)
    rel, status = relationships.relationship_add(**body.model_dump())
    state = relationship_state(rel, source_urn=body.source, target_urn=body.target)
    return Status(201 if status == "created" else 200, {**state, "status": status})


@router.delete(
    "/relationships",
    summary="Remove a relationship (source, target, predicate in the query or body)",
    openapi_extra=documented(
        body=contracts.RelationshipKey, responses={200: contracts.RelationshipRemoved}, body_required=False
    ),
)
def relationship_remove(
    request, source: str | None = None, target: str | None = None, predicate: str | None = None
):
    body = parse(contracts.RelationshipKey, _object(request) if request.body else {})
    source, target, predicate = source or body.source, target or body.target, predicate or body.predicate
    missing = {
        k: "required" for k, v in (("source", source), ("target", target), ("predicate", predicate)) if not v
    }
    if missing:
        raise ValidationError("Name the relationship to remove.", fields=missing)
    governed.require_urn(request, "write", source)
    governed.require_urn(request, "read", target)
    return {
        **relationships.relationship_remove(source=source, target=target, predicate=predicate),
        "removed": True,
    }


@router.get(
    "/path",
    summary="A shortest path between two entities",
    openapi_extra=documented(responses={200: contracts.EntityPath}),
)
def path(request, source: str, target: str, max_depth: int = 6, direction: str = "both"):
    found = graph.shortest_path(
        source=source,
        target=target,
        max_depth=max_depth,
        direction=direction,
        visible=governed.visible(request),
    )
    return {"found": found is not None, "path": found}


class SearchQuery(EntityListQuery):
    q: str = ""
    mode: str = "fulltext"
    sort: str = "relevance"
    limit: int = 20
    facets: bool = True


@router.get(
    "/search",
    summary="Full-text, semantic or hybrid search with facets",
    openapi_extra=documented(responses={200: contracts.SearchResult}),
)
def entity_search(request, q: Query[SearchQuery]):
    result = search.search(
        query=q.q,
        mode=q.mode,
        filters=_filters(request, q),
        sort=q.sort,
        first=q.limit,
        after=q.cursor,
        facets=q.facets,
    )
    return {
        "mode": result.mode,
        "total": result.total,
        "exact": result.exact,
        "corrected": result.corrected,
        "items": governed.hits(request, result.items),
        "facets": result.facets,
        "next_cursor": result.next_cursor,
    }


@router.post(
    "/retrieve",
    summary="The document chunks closest in meaning to a query (RAG)",
    openapi_extra=documented(body=contracts.RetrieveIn, responses={200: contracts.Retrieved}),
)
def retrieve(request):
    body = parse(contracts.RetrieveIn, _object(request))
    return {"results": documents.retrieve(question=body, visible=governed.visible(request))}
