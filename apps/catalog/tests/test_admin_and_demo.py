"""The stewards' admin (search, filters, history with diffs, bulk actions) and the demo data."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from apps.catalog import demo, selectors, services
from apps.catalog.inputs import entity_input
from apps.catalog.models import Domain, Entity, Relationship, SourceSystem
from apps.catalog.tests.conftest import entity, urn
from dictamesh.auth.services import user_ensure
from dictamesh.events.models import EventLog


@pytest.fixture
def steward(client, db):
    user = user_ensure(username="steward", superuser=True)
    client.force_login(user)
    return client


CHANGELIST = "/admin/catalog/entity/"


def test_changelist_searches_by_words_typos_and_urn_and_filters(world, steward):
    services.entities_upsert(
        items=[
            entity("customer_orders", description="Orders of customers", tags=["gold"]),
            entity("shipments"),
        ]
    )
    found = steward.get(CHANGELIST, {"q": "custmer"}).content.decode()
    assert "customer_orders" in found and "dm:crm:table:shipments" not in found
    assert "dm:crm:table:shipments" in steward.get(CHANGELIST, {"q": urn("shipments")}).content.decode()
    filtered = steward.get(CHANGELIST, {"tag": "gold", "status": "live"}).content.decode()
    assert "customer_orders" in filtered and "dm:crm:table:shipments" not in filtered


def test_changelist_search_lists_the_best_match_first_not_the_first_urn(world, steward):
    services.entities_upsert(
        items=[
            entity("aaa_misc", description="Various things, refunds mentioned once"),
            entity(
                "zzz_refunds",
                display_name="Refunds",
                description="Refunds: every refund paid back to clients",
            ),
        ]
    )
    page = steward.get(CHANGELIST, {"q": "refunds"}).content.decode()
    assert page.index(urn("zzz_refunds")) < page.index(urn("aaa_misc"))  # relevance, not alphabetical URN
    by_header = steward.get(
        CHANGELIST, {"q": "refunds", "o": "1"}
    ).content.decode()  # sorted by URN on demand
    assert by_header.index(urn("aaa_misc")) < by_header.index(urn("zzz_refunds"))


def test_history_view_shows_versions_with_diffs(world, steward):
    created, _ = services.entity_register(entity=entity_input(entity("orders", description="first text")))
    services.entity_update(urn=created.urn, changes=entity_input({"description": "second text"}))
    page = steward.get(f"{CHANGELIST}{created.pk}/history/").content.decode()
    assert "v2 — updated" in page and "first text" in page and "second text" in page


def test_editing_in_the_admin_makes_a_version(world, steward):
    created, _ = services.entity_register(entity=entity_input(entity("orders")))
    response = steward.post(
        f"{CHANGELIST}{created.pk}/change/",
        {"display_name": "Orders", "description": "Edited by a steward", "classification": "restricted",
         "tags": "gold, pii", "properties": "{}", "schema_subject": "",
         "owners-TOTAL_FORMS": "0", "owners-INITIAL_FORMS": "0",
         "outgoing-TOTAL_FORMS": "0", "outgoing-INITIAL_FORMS": "0",
         "incoming-TOTAL_FORMS": "0", "incoming-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    latest = selectors.entity_history(urn=created.urn)[-1]
    assert latest.version == 2 and latest.actor == "user:steward"
    assert set(latest.changed_fields) == {"display_name", "description", "classification", "tags"}


@pytest.mark.parametrize(
    ("action", "form", "check"),
    [
        ("assign_owner", {"principal": "group:stewards", "role": "steward"},
         lambda e: {"principal": "group:stewards", "role": "steward"} in
         [{"principal": o.principal, "role": o.role} for o in e.owners.all()]),
        ("add_tags", {"tags": "certified, gold"}, lambda e: {"certified", "gold"} <= set(e.tags)),
        ("classify", {"classification": "restricted"}, lambda e: e.classification == "restricted"),
        ("deprecate", {"note": "use v2"}, lambda e: e.deprecated_at is not None and e.deprecation_note == "use v2"),
        ("relate", {"target": "dm:crm:table:hub", "predicate": "feeds", "confidence": "0.7"},
         lambda e: e.outgoing.get().target.urn == "dm:crm:table:hub" and e.outgoing.get().confidence == 0.7),
    ],
)  # fmt: skip
def test_bulk_actions_ask_then_apply_as_versioned_changes(world, steward, action, form, check):
    results = services.entities_upsert(items=[entity("a"), entity("b"), entity("hub")])[:2]
    ids = [str(r.id) for r in results]
    ask = steward.post(CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: ids})
    assert ask.status_code == 200 and b'name="apply"' in ask.content
    done = steward.post(CHANGELIST, {"action": action, ACTION_CHECKBOX_NAME: ids, "apply": "1", **form})
    assert done.status_code == 302
    for e in Entity.objects.filter(pk__in=ids):
        assert check(e)
        assert e.version == (1 if action == "relate" else 2)  # a relationship is not an entity version


def test_demo_data_is_realistic_and_idempotent(db):
    summary = demo.load()
    assert Domain.objects.count() == 3 and SourceSystem.objects.count() == 4
    count = Entity.objects.count()
    assert 450 <= count <= 550, summary
    assert Relationship.objects.count() > count
    assert not Entity.objects.filter(description="").exists()
    assert all(e.owners.count() == 2 for e in Entity.objects.all()[:50])
    versions = EventLog.objects.filter(topic="dictamesh.catalog.entity.v1").count()
    again = demo.load()
    assert "(0 new)" in again and "0 new relationships" in again and "0 new documents" in again
    assert EventLog.objects.filter(topic="dictamesh.catalog.entity.v1").count() == versions
