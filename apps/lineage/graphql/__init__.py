"""GraphQL of lineage: up- and downstream of an entity, dataset, job or field; paths; impact; manual edges."""

from __future__ import annotations

from contextlib import contextmanager

import graphene
from graphene.types.generic import GenericScalar

from dictamesh.errors import ValidationError
from dictamesh.events.context import user_principal
from dictamesh.graphql.context import require_user

from .. import governed, graph, impact, selectors, services
from ..api import _nodes
from ..models import DatasetField, Node


class Direction(graphene.Enum):
    UPSTREAM = "upstream"
    DOWNSTREAM = "downstream"
    BOTH = "both"


class LineageNodeType(graphene.ObjectType):
    id = graphene.String(
        required=True, description="dataset:NS:NAME, job:NS:NAME or datasetField:NS:NAME:FIELD"
    )
    type = graphene.String(required=True, description="DATASET, JOB or DATASET_FIELD")
    namespace = graphene.String(required=True)
    name = graphene.String(required=True)
    field = graphene.String(description="DATASET_FIELD: the field's name (name is its dataset's)")
    urn = graphene.String(description="The catalog entity of a dataset (of a field's dataset)")
    hops = graphene.Int(required=True, description="< 0 upstream, > 0 downstream, 0 a start")


class LineageEdgeType(graphene.ObjectType):
    origin = graphene.String(required=True)
    destination = graphene.String(required=True)


class LineageGraphType(graphene.ObjectType):
    nodes = graphene.List(graphene.NonNull(LineageNodeType), required=True)
    edges = graphene.List(graphene.NonNull(LineageEdgeType), required=True)
    truncated = graphene.Boolean(required=True)


class LineagePathType(graphene.ObjectType):
    direction = graphene.String(description="downstream (origin → destination), upstream, or null: no path")
    path = graphene.List(graphene.NonNull(graphene.String), required=True)


class ImpactedType(graphene.ObjectType):
    id = graphene.String(required=True)
    hops = graphene.Int(required=True)
    path = graphene.List(graphene.NonNull(graphene.String), required=True)
    urn = graphene.String()
    owners = graphene.List(graphene.NonNull(graphene.String), required=True)
    dataset = graphene.String(description="A field's dataset")

    @staticmethod
    def resolve_owners(root, info):
        return root.get("owners", [])


class ImpactType(graphene.ObjectType):
    source = graphene.List(graphene.NonNull(graphene.String), required=True)
    depth = graphene.Int(required=True)
    datasets = graphene.List(graphene.NonNull(ImpactedType), required=True)
    jobs = graphene.List(graphene.NonNull(ImpactedType), required=True)
    fields = graphene.List(graphene.NonNull(ImpactedType), required=True)
    changes = GenericScalar(description="A proposed schema: [{field, change, before, after}]")
    truncated = graphene.Boolean(required=True)


def _start(node_id: str) -> Node | DatasetField:
    if node_id.startswith("datasetField:"):
        start = selectors.field_by_id(node_id)
    elif node_id.startswith("dm:"):
        start = selectors.node_by_urn(node_id)
    else:
        start = selectors.node_by_id(node_id)
    governed.require(start)
    return start


def _graph(start: Node | DatasetField, direction: str, depth: int) -> dict:
    is_field = isinstance(start, DatasetField)
    area = graph.neighbourhood(
        "field" if is_field else "node",
        [start.pk],
        depth=depth,
        upstream=direction in ("upstream", "both"),
        downstream=direction in ("downstream", "both"),
    )
    keys, nodes = {}, []
    if is_field:
        for f in DatasetField.objects.filter(pk__in=list(area.hops)).select_related("dataset__namespace"):
            keys[f.pk] = selectors.field_key(f)
            nodes.append({"id": keys[f.pk], "type": "DATASET_FIELD", "namespace": f.dataset.namespace.name,
                          "name": f.dataset.name, "field": f.name, "urn": f.dataset.entity_urn or None,
                          "hops": area.hops[f.pk]})  # fmt: skip
    else:
        for n in Node.objects.filter(pk__in=list(area.hops)).select_related("namespace"):
            keys[n.pk] = selectors.node_key(n)
            nodes.append({"id": keys[n.pk], "type": n.kind.upper(), "namespace": n.namespace.name, "name": n.name,
                          "urn": n.entity_urn or None, "hops": area.hops[n.pk]})  # fmt: skip
    nodes.sort(key=lambda n: (abs(n["hops"]), n["id"]))
    edges = sorted(
        ({"origin": keys[a], "destination": keys[b]} for a, b in area.edges), key=lambda e: tuple(e.values())
    )
    return {"nodes": nodes, "edges": edges, "truncated": area.truncated}


class LineageQuery:
    lineage = graphene.Field(
        LineageGraphType,
        required=True,
        node_id=graphene.String(required=True, description="A node or field id, or a catalog entity's URN"),
        direction=Direction(default_value="both"),
        depth=graphene.Int(default_value=5),
        description="What lies up- and/or downstream of a dataset, job, field or catalog entity.",
    )
    lineage_path = graphene.Field(
        LineagePathType,
        required=True,
        origin=graphene.String(required=True),
        destination=graphene.String(required=True),
        depth=graphene.Int(default_value=10),
    )
    lineage_impact = graphene.Field(
        ImpactType,
        required=True,
        node_id=graphene.String(required=True),
        depth=graphene.Int(default_value=5),
        description="Everything downstream of a dataset, job, field or catalog entity, with paths and owners.",
    )
    proposed_schema_impact = graphene.Field(
        ImpactType,
        required=True,
        subject=graphene.String(required=True),
        schema=graphene.String(required=True),
        schema_type=graphene.String(default_value="AVRO"),
        depth=graphene.Int(default_value=5),
        description="What a candidate schema for a subject would break downstream.",
    )

    @staticmethod
    def resolve_lineage(root, info, node_id, direction="both", depth=5):
        with _read(info):
            return _graph(_start(node_id), direction, graph.check_depth(depth))

    @staticmethod
    def resolve_lineage_path(root, info, origin, destination, depth=10):
        with _read(info):
            ends = [_start(origin), _start(destination)]
            if any(isinstance(end, DatasetField) for end in ends):
                raise ValidationError(
                    "Paths join datasets and jobs (column lineage: use lineage on a field)."
                )
            return graph.shortest_path(*ends, max_depth=graph.check_depth(depth))

    @staticmethod
    def resolve_lineage_impact(root, info, node_id, depth=5):
        with _read(info):
            start = _start(node_id)
            if isinstance(start, DatasetField):
                return impact.of_fields([start], graph.check_depth(depth))
            return impact.of_nodes([start], graph.check_depth(depth))

    @staticmethod
    def resolve_proposed_schema_impact(root, info, subject, schema, schema_type="AVRO", depth=5):
        with _read(info):
            return impact.of_schema(
                subject=subject, schema=schema, schema_type=schema_type, depth=graph.check_depth(depth)
            )


@contextmanager
def _read(info):
    """A read of the graph: what was accepted before is applied first, and what the caller may not see
    stays hidden (governance)."""
    services.catch_up()
    with governed.scope(info.context):
        yield


class AddLineageEdge(graphene.Mutation):
    class Arguments:
        origin = graphene.String(required=True)
        destination = graphene.String(required=True)
        confidence = graphene.Float(default_value=1.0)
        note = graphene.String(default_value="")

    Output = LineageEdgeType

    @staticmethod
    def mutate(root, info, origin, destination, confidence=1.0, note=""):
        user = require_user(info)
        governed.require_write(info.context, *_nodes(origin, destination))
        return services.edge_add(origin=origin, destination=destination, confidence=confidence, note=note,
                                 actor=user_principal(user))  # fmt: skip


class RemoveLineageEdge(graphene.Mutation):
    class Arguments:
        origin = graphene.String(required=True)
        destination = graphene.String(required=True)

    ok = graphene.Boolean(required=True)

    @staticmethod
    def mutate(root, info, origin, destination):
        user = require_user(info)
        governed.require_write(info.context, *_nodes(origin, destination))
        services.edge_remove(origin=origin, destination=destination, actor=user_principal(user))
        return RemoveLineageEdge(ok=True)


class LineageMutation:
    add_lineage_edge = AddLineageEdge.Field()
    remove_lineage_edge = RemoveLineageEdge.Field()


__all__ = ["LineageMutation", "LineageQuery"]
