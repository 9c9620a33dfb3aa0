"""The catalog's facade for other apps (apps/catalog/public.py)."""

from __future__ import annotations

from apps.catalog import public
from apps.catalog.contracts import EntityRef
from apps.catalog.tests.conftest import entity, urn


def test_other_apps_upsert_relate_and_look_up_entities_through_public(world):
    results = public.entities_upsert(
        items=[entity("orders", owners=["user:alice"], tags=["gold"]), entity("lines"), {"source": "crm"}],
        actor="system:lineage",
        synced=True,
    )
    assert [r["status"] for r in results] == ["created", "created", "error"]
    assert results[2]["error"]["code"] == "invalid"
    assert public.relationships_add(
        items=[{"source": urn("orders"), "target": urn("lines"), "predicate": "one_to_many"}],
        provenance="lineage",
    ) == {"created": 1, "skipped": 0}
    ref = public.entity_ref(urn=urn("orders"))
    assert isinstance(ref, EntityRef)
    assert (ref.urn, ref.domain, ref.source, ref.owners, ref.tags) == (
        urn("orders"), "sales", "crm", ("user:alice",), ("gold",)
    )  # fmt: skip
    assert public.entity_ref(urn=urn("missing")) is None
    assert public.build_urn(source="crm", entity_type="table", source_key="x") == urn("x")


def test_owners_of_many_entities_at_once_and_fill_only_what_is_empty(world):
    public.entities_upsert(
        items=[entity("orders", owners=["user:alice", {"principal": "group:sales", "role": "business"}]),
               entity("lines", description="Kept.")],
    )  # fmt: skip
    assert public.entity_owners(urns=[urn("orders"), urn("lines"), urn("missing")]) == {
        urn("orders"): ["group:sales", "user:alice"]
    }
    results = public.entities_fill(
        items=[{"urn": urn("lines"), "description": "Overwritten?", "owners": ["user:bob"],
                "properties": {"lineage": {"x": 1}}},
               {"urn": urn("orders"), "owners": ["user:carol"]},
               {**entity("new_one"), "urn": urn("new_one")}],
    )  # fmt: skip
    assert sorted(r["status"] for r in results) == ["created", "unchanged", "updated"]
    lines = public.entity_ref(urn=urn("lines"))
    assert lines.owners == ("user:bob",)  # had none: filled
    assert public.entity_owners(urns=[urn("orders")]) == {urn("orders"): ["group:sales", "user:alice"]}
