"""Relationships (constraints, events) and the graph: neighbours, subgraphs, shortest paths."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction

from apps.catalog import graph, services
from apps.catalog.models import Entity, Relationship
from apps.catalog.relationships import relationship_add, relationship_remove, relationships_add_many
from apps.catalog.tests.conftest import entity, urn
from dictamesh.errors import NotFound, ValidationError
from dictamesh.events.models import OutboxMessage


@pytest.fixture
def chain(world):
    """a -> b -> c -> d -> a (a cycle), b <-> e (bidirectional), c -owns-> f."""
    services.entities_upsert(items=[entity(k) for k in "abcdefz"])
    for s, t, p, bi in [
        ("a", "b", "feeds", False),
        ("b", "c", "feeds", False),
        ("c", "d", "feeds", False),
        ("d", "a", "feeds", False),
        ("b", "e", "related_to", True),
        ("c", "f", "owns", False),
    ]:
        relationship_add(source=urn(s), target=urn(t), predicate=p, bidirectional=bi)


def test_add_update_unchanged_remove_with_events(world):
    services.entities_upsert(items=[entity("a"), entity("b")])
    rel, status = relationship_add(source=urn("a"), target=urn("b"), predicate="one_to_many", confidence=0.5)
    assert status == "created"
    _, status = relationship_add(source=urn("a"), target=urn("b"), predicate="one_to_many", confidence=0.5)
    assert status == "unchanged"
    _, status = relationship_add(source=urn("a"), target=urn("b"), predicate="one_to_many", confidence=0.8)
    assert status == "updated"
    assert Relationship.objects.get().confidence == 0.8
    relationship_remove(source=urn("a"), target=urn("b"), predicate="one_to_many")
    assert not Relationship.objects.exists()
    types = list(
        OutboxMessage.objects.filter(topic="dictamesh.catalog.relationship.v1")
        .order_by("id")
        .values_list("type", flat=True)
    )
    assert types == [
        "dictamesh.catalog.relationship.added",
        "dictamesh.catalog.relationship.updated",
        "dictamesh.catalog.relationship.removed",
    ]
    with pytest.raises(NotFound):
        relationship_remove(source=urn("a"), target=urn("b"), predicate="one_to_many")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"target": "dm:crm:table:a"}, "target"),  # self-loop
        ({"confidence": 1.5}, "confidence"),
        ({"confidence": -0.1}, "confidence"),
        ({"predicate": "Has Many"}, "predicate"),
        ({"target": "dm:crm:table:missing"}, "target"),
        ({"provenance": "guess"}, "provenance"),
    ],
)
def test_bad_relationships_are_field_errors(world, kwargs, field):
    services.entities_upsert(items=[entity("a"), entity("b")])
    args = {"source": urn("a"), "target": urn("b"), "predicate": "feeds", **kwargs}
    with pytest.raises(ValidationError) as excinfo:
        relationship_add(**args)
    assert field in excinfo.value.fields
    assert not Relationship.objects.exists()


@pytest.mark.parametrize("sql_values", ["%(a)s, %(b)s, 'x', 1.5", "%(a)s, %(a)s, 'x', 1.0"])
def test_the_database_enforces_confidence_bounds_and_no_self_loops(world, sql_values):
    services.entities_upsert(items=[entity("a"), entity("b")])
    ids = dict(Entity.objects.values_list("source_key", "id"))
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dictamesh_catalog_relationship (source_id, target_id, predicate, confidence,"
            " bidirectional, metadata, provenance, created_at, updated_at)"
            f" VALUES ({sql_values}, false, '{{}}', 'manual', now(), now())",
            ids,
        )


def test_bulk_add_skips_existing_and_invalid(world):
    services.entities_upsert(items=[entity("a"), entity("b"), entity("c")])
    items = [
        {"source": urn("a"), "target": urn("b"), "predicate": "feeds"},
        {"source": urn("a"), "target": urn("a"), "predicate": "feeds"},
        {"source": urn("a"), "target": urn("nope"), "predicate": "feeds"},
    ]
    assert relationships_add_many(items=items) == {"created": 1, "skipped": 2}
    assert relationships_add_many(
        items=items + [{"source": urn("b"), "target": urn("c"), "predicate": "x"}]
    ) == {
        "created": 1,
        "skipped": 3,
    }
    assert OutboxMessage.objects.filter(type="dictamesh.catalog.relationship.added").count() == 2


def _nodes(result):
    return {n["urn"].rsplit(":", 1)[1]: n["depth"] for n in result["nodes"]}


def test_neighbours_by_depth_direction_and_predicate(chain):
    assert _nodes(graph.subgraph(urn=urn("a"), depth=1, direction="out")) == {"a": 0, "b": 1}
    assert _nodes(graph.subgraph(urn=urn("a"), depth=2, direction="out")) == {"a": 0, "b": 1, "c": 2, "e": 2}
    assert _nodes(graph.subgraph(urn=urn("a"), depth=1, direction="in")) == {"a": 0, "d": 1}
    assert _nodes(graph.subgraph(urn=urn("a"), depth=1, direction="both")) == {"a": 0, "b": 1, "d": 1}
    # bidirectional edges are walked from either end, whatever the direction
    assert _nodes(graph.subgraph(urn=urn("e"), depth=1, direction="out")) == {"e": 0, "b": 1}
    only_feeds = graph.subgraph(urn=urn("c"), depth=1, direction="out", predicates=["feeds"])
    assert _nodes(only_feeds) == {"c": 0, "d": 1}
    edges = {
        (e["source"][-1], e["target"][-1], e["predicate"])
        for e in graph.subgraph(urn=urn("b"), depth=1)["edges"]
    }
    assert edges == {("a", "b", "feeds"), ("b", "c", "feeds"), ("b", "e", "related_to")}


def test_cycles_end_at_the_depth_bound_and_each_node_has_its_shortest_distance(chain):
    result = graph.subgraph(urn=urn("a"), depth=5, direction="out")
    assert _nodes(result) == {"a": 0, "b": 1, "c": 2, "e": 2, "d": 3, "f": 3}
    assert not result["truncated"]
    limited = graph.subgraph(urn=urn("a"), depth=5, direction="out", limit=2)
    assert len(limited["nodes"]) == 3 and limited["truncated"]


def test_deleted_entities_are_not_walked_through(chain):
    services.entity_delete(urn=urn("b"))
    assert _nodes(graph.subgraph(urn=urn("a"), depth=3, direction="out")) == {"a": 0}


def test_shortest_path(chain):
    path = graph.shortest_path(source=urn("a"), target=urn("f"), direction="out")
    assert path["length"] == 3
    assert [n["urn"][-1] for n in path["nodes"]] == ["a", "b", "c", "f"]
    assert [e["predicate"] for e in path["edges"]] == ["feeds", "feeds", "owns"]
    back = graph.shortest_path(source=urn("f"), target=urn("a"), direction="both")
    assert back["length"] == 3  # f - c - b - a, against the arrows
    assert graph.shortest_path(source=urn("f"), target=urn("a"), direction="out") is None
    assert graph.shortest_path(source=urn("a"), target=urn("z")) is None
    assert graph.shortest_path(source=urn("a"), target=urn("f"), max_depth=2, direction="out") is None


@pytest.mark.parametrize(
    "kwargs",
    [{"depth": 0}, {"depth": 6}, {"direction": "sideways"}, {"predicates": ["Bad-One"]}, {"limit": 0}],
)
def test_graph_queries_are_bounded(chain, kwargs):
    with pytest.raises(ValidationError):
        graph.subgraph(urn=urn("a"), **kwargs)
