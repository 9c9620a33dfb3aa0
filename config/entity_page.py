"""``/entities/<urn>/``: one entity's page — what it is, who owns it, its columns with their classification and
PII, its relationships in and out, its lineage and impact, a masked live preview, its history, its schema
versions and who read its sensitive fields.

The page is the composition root's: it asks the one GraphQL schema, with the browser's session as the caller,
so every part is exactly what that caller may see through GraphQL (the same resolvers, policies and masks);
an entity the caller may not read is a 404 like an entity that does not exist. Editing stays in the admin,
which goes through the same services.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from apps.catalog import public as catalog
from apps.governance import public as governance
from apps.lineage.views import view_url
from apps.schemas import public as schemas
from dictamesh.graphql.execution import DataLoaderExecutionContext

ENTITY = """
query EntityPage($urn: String!) {
  entity(urn: $urn) {
    urn type name displayName description domain source sourceKey version schemaSubject classification tags
    properties createdAt updatedAt deprecated deprecationNote lastSyncedAt
    owners { principal role }
    relationships { predicate direction confidence provenance target { urn name displayName type } }
    history { version change changedFields actor changedAt }
    schema
  }
}
"""
# each part its own query: a part the caller may not see (a root field that refuses) leaves the others whole
CLASSIFIED = """
query Classified($urn: String!) {
  fieldClassifications(urn: $urn) { path classification piiCategory status confidence detector }
}
"""
INCOMING = """
query Incoming($urn: String!) {
  incoming: neighbors(urn: $urn, depth: 1, direction: "in", limit: 100) {
    nodes { urn name type } edges { source target predicate }
  }
}
"""
LIVE = "query Live($urn: String!) { entity(urn: $urn) { live { data source fetchedAt cached } } }"
LINEAGE = """
query Lineage($urn: String!, $depth: Int!) {
  up: lineage(nodeId: $urn, direction: UPSTREAM, depth: $depth) { nodes { id type namespace name hops } }
  down: lineage(nodeId: $urn, direction: DOWNSTREAM, depth: $depth) { nodes { id type namespace name hops } }
  impact: lineageImpact(nodeId: $urn, depth: 10) { datasets { id } jobs { id } truncated }
}
"""
LINEAGE_DEPTH = 3
HISTORY_SHOWN = 10


@dataclass
class Asked:
    """One GraphQL answer: its data, and the messages of the errors a part of it met."""

    data: dict = field(default_factory=dict)
    errors: list[dict] = field(default_factory=list)


def ask(request, query: str, urn: str, **variables) -> Asked:
    from .schema import current_schema

    result = current_schema().execute(
        query,
        variable_values={"urn": urn, **variables},
        context_value=request,
        execution_context_class=DataLoaderExecutionContext,
    )
    errors = [
        {"message": e.message, "code": (e.extensions or {}).get("code", "")} for e in (result.errors or [])
    ]
    return Asked(data=result.data or {}, errors=errors)


def columns(entity: dict, classified: list[dict]) -> list[dict]:
    """The entity's columns: its data contract's fields (the latest schema) and the ones its adapter
    discovered (``properties.columns``), each with its type, description and what governance says of it."""
    found: dict[str, dict] = {}
    contract = entity.get("schema") or {}
    if contract.get("latest_schema") and contract.get("versions"):
        kind = contract["versions"][-1]["schema_type"]
        for name, described in schemas.columns_of(schema_type=kind, schema=contract["latest_schema"]).items():
            found[name] = {"name": name, **described, "from": "data contract"}
    for column in (entity.get("properties") or {}).get("columns") or []:
        if isinstance(column, dict) and isinstance(column.get("name"), str):
            known = found.setdefault(column["name"], {"name": column["name"], "from": "discovered"})
            if column.get("type"):  # the source's own type (varchar(200)) says more than the contract's
                known["contract_type"] = known.get("type", "")
                known["type"] = str(column["type"])
            if column.get("description") and not known.get("description"):
                known["description"] = str(column["description"])
            known["nullable"] = column.get("nullable")
            known["primary_key"] = bool(column.get("primary_key"))
    by_path: dict[str, list[dict]] = {}
    for row in classified:
        by_path.setdefault(row["path"], []).append(row)
    for name, column in found.items():
        column["governance"] = by_path.pop(name, [])
    # fields governance knows of that no schema declares (a property's value, a nested path) still show
    extra = [
        {"name": path, "from": "classified", "governance": rows} for path, rows in sorted(by_path.items())
    ]
    return [*found.values(), *extra]


def readable_schema(text: str) -> str:
    """Avro and JSON Schema indented for a person; other formats as they are."""
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


def relationships(entity: dict, incoming: dict | None) -> dict[str, list[dict]]:
    out = [
        {"predicate": r["predicate"], "other": r["target"], "provenance": r["provenance"]}
        for r in entity["relationships"]
        if r["direction"] == "out" and r["target"]
    ]
    names = {n["urn"]: n for n in (incoming or {}).get("nodes", [])}
    into = [
        {
            "predicate": e["predicate"],
            "other": names.get(e["source"], {"urn": e["source"], "name": e["source"]}),
        }
        for e in (incoming or {}).get("edges", [])
        if e["target"] == entity["urn"] and e["source"] != entity["urn"]
    ]
    into += [
        {"predicate": r["predicate"], "other": r["target"], "provenance": r["provenance"]}
        for r in entity["relationships"]
        if r["direction"] == "in" and r["target"]
    ]
    return {"out": out, "in": into}


def lineage_columns(answer: dict) -> list[list[dict]]:
    """The lineage drawn as columns, left to right: the farthest upstream, …, this entity's dataset, …, the
    farthest downstream (hops count negative upstream), each node with the lineage page it opens."""
    nodes = {}
    for side in ("up", "down"):
        for node in (answer.get(side) or {}).get("nodes", []):
            nodes[node["id"]] = {**node, "kind": node["type"].lower(), "href": view_url(node["id"])}
    columns: dict[int, list[dict]] = {}
    for node in nodes.values():
        columns.setdefault(node["hops"], []).append({**node, "centre": node["hops"] == 0})
    return [sorted(columns[hops], key=lambda n: n["name"]) for hops in sorted(columns)]


def entity_page(request, urn: str):
    if not request.user.is_authenticated and not settings.DICTAMESH_ALLOW_ANONYMOUS_READ:
        return redirect_to_login(request.get_full_path())
    asked = ask(request, ENTITY, urn)
    entity = asked.data.get("entity")
    if entity is None:
        raise Http404(f"No entity {urn} that you may read.")
    classified, incoming = ask(request, CLASSIFIED, urn), ask(request, INCOMING, urn)
    live = ask(request, LIVE, urn)
    lineage = ask(request, LINEAGE, urn, depth=LINEAGE_DEPTH)
    linked = not any(e["code"] == "not_found" for e in lineage.errors) and bool(lineage.data)
    centre = next((n for n in (lineage.data.get("up") or {}).get("nodes", []) if n["hops"] == 0), None)
    dataset = (
        centre["id"].removeprefix("dataset:") if linked and centre and centre["type"] == "DATASET" else None
    )
    history = list(reversed(entity["history"]))[:HISTORY_SHOWN]
    edit = history_href = None
    if request.user.is_staff:  # the admin is the stewards' (it checks again, with the same policies)
        pk = catalog.entity_ids(urns=[urn]).get(urn)
        if pk is not None:
            edit = reverse("admin:catalog_entity_change", args=[pk])
            history_href = reverse("admin:catalog_entity_history", args=[pk])
    subject = (entity.get("schema") or {}).get("subject")
    if subject:
        entity["schema"]["latest_schema"] = readable_schema(entity["schema"]["latest_schema"])
    context = {
        **admin.site.each_context(request),
        "title": entity["displayName"] or entity["name"],
        "entity": entity,
        "columns": columns(entity, classified.data.get("fieldClassifications") or []),
        "relationships": relationships(entity, incoming.data.get("incoming")),
        "live": (live.data.get("entity") or {}).get("live"),
        "live_errors": live.errors,
        "lineage": lineage_columns(lineage.data) if linked else [],
        "lineage_href": view_url(urn) if linked else None,
        "impact": lineage.data.get("impact") if linked else None,
        "lineage_dataset": dataset,
        "column_lineage_src": "/api/v1/column-lineage?"
        + urlencode({"nodeId": f"dataset:{dataset}", "depth": 3})
        if dataset
        else None,
        "edit_href": edit,
        "history_href": history_href,
        "subject_href": reverse("admin:schemas_subject_changelist") + "?" + urlencode({"q": subject})
        if subject and request.user.is_staff
        else None,
        "history": history,
        "history_more": len(entity["history"]) > len(history),
        "readers": governance.sensitive_readers(request, urn=urn),
        "errors": [e for e in asked.errors if e["code"] != "not_found"],
        "is_nav_sidebar_enabled": False,
    }
    return render(request, "config/entity.html", context)
