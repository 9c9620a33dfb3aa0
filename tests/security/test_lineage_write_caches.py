"""Issue 19's per-process caches behind lineage ingestion's write check (catalog.caching.ENTITY_REFS_CACHE,
lineage.selectors.LINKS_CACHE) keep issue 18's guarantee: an event naming a dataset is refused at the next
event after the catalog or lineage write that makes its entity one the writer may not write. These tests
commit (the caches store nothing inside a transaction), so each check really comes from the caches when it
can, on the fast route and on Django's."""

from __future__ import annotations

import json

import orjson
import pytest

from apps.catalog import public as catalog
from apps.catalog.caching import ENTITY_REFS_CACHE
from apps.governance.tests.helpers import urn
from apps.lineage import services as lineage
from apps.lineage.ingestion import dataset_urn
from apps.lineage.models import Node
from apps.lineage.selectors import LINKED_ELSEWHERE, LINKS_CACHE, linked_elsewhere
from apps.lineage.tests.conftest import PG, dataset, run_event
from tests.platform.test_fast_routes import call
from tests.platform.test_redis_down import redis_away  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db(transaction=True)

ORDERS = "public.orders"


def _event(job: str, name: str = ORDERS) -> dict:
    return run_event("COMPLETE", job, outputs=[dataset(PG, name, [("id", "int")])])


def _fast(world, who: str, event: dict) -> int:
    return call("/api/v1/lineage", orjson.dumps(event), **world[who])[0]


def _django(client, world, who: str, event: dict) -> int:
    response = client.post(
        "/api/v1/lineage", orjson.dumps(event), content_type="application/json", **world[who]
    )
    return response.status_code


def _classify(client, world, target: str, classification: str) -> None:
    response = client.patch(
        f"/api/v1/catalog/entities/{target}", json.dumps({"classification": classification}),
        content_type="application/json", **world["root"],
    )  # fmt: skip
    assert response.status_code == 200, response.content


@pytest.fixture
def orders(world):
    """A dataset lineage has seen (and made a public catalog entity of): its URN."""
    lineage.ingest(_event("load"))
    lineage.catch_up()
    return Node.objects.get(name=ORDERS).entity_urn


def test_a_dataset_turned_restricted_is_refused_at_the_next_event(orders, world, client):
    for job in ("a", "b"):  # the second check is answered from the caches
        assert _fast(world, "alice", _event(job)) == 201
    assert ENTITY_REFS_CACHE.peek(orders)[0] and LINKS_CACHE.peek(LINKED_ELSEWHERE)[0]

    _classify(client, world, orders, "restricted")
    assert _fast(world, "alice", _event("c")) == 403
    assert _django(client, world, "alice", _event("d")) == 403
    assert _fast(world, "root", _event("e")) == 201  # a superuser writes anything

    _classify(client, world, orders, "public")
    assert _fast(world, "alice", _event("f")) == 201


def test_an_entity_created_after_a_remembered_miss_is_decided_by(world, settings):
    name = "public.new_table"
    target = dataset_urn(PG, name)
    assert catalog.entity_refs(urns=[target]) == {}
    assert ENTITY_REFS_CACHE.peek(target)[0]  # the miss is remembered
    home = {
        "source": settings.DICTAMESH_LINEAGE_CATALOG_SOURCE,
        "domain": settings.DICTAMESH_LINEAGE_CATALOG_DOMAIN,
    }
    catalog.ensure_home(source_kind="openlineage", **home)
    created = catalog.entities_upsert(
        items=[
            {"urn": target, "name": name, "entity_type": "dataset", "classification": "restricted", **home}
        ]
    )
    assert created[0]["status"] == "created", created[0]
    assert _fast(world, "alice", _event("sneaky", name)) == 403


def test_a_dataset_pointed_at_a_restricted_entity_is_refused_at_the_next_event(orders, world, client):
    assert _fast(world, "alice", _event("a")) == 201
    assert linked_elsewhere([(PG, ORDERS)]) == {}  # linked to its own URN: not in the map
    assert LINKS_CACHE.peek(LINKED_ELSEWHERE)[0]

    lineage.dataset_link(node_id=f"dataset:{PG}:{ORDERS}", urn=urn("salaries"))  # restricted, olga's
    assert linked_elsewhere([(PG, ORDERS)]) == {(PG, ORDERS): urn("salaries")}
    assert _fast(world, "alice", _event("b")) == 403
    assert _django(client, world, "alice", _event("c")) == 403

    lineage.dataset_link(node_id=f"dataset:{PG}:{ORDERS}", urn=urn("open_orders"))  # public
    assert _fast(world, "alice", _event("d")) == 201


def test_a_renamed_domain_drops_every_remembered_entity(orders, world, client):
    from apps.catalog.models import Domain
    from apps.governance.tests.helpers import policy

    lineage.dataset_link(node_id=f"dataset:{PG}:{ORDERS}", urn=urn("open_orders"))  # in domain sales
    policy(
        client, world["root"], name="no-lineage-in-treasury", effect="deny", actors=["*"],
        actions=["write"], resources=["lineage"], condition="resource.domain == 'treasury'",
    )  # fmt: skip
    assert _fast(world, "alice", _event("a")) == 201
    assert ENTITY_REFS_CACHE.peek(urn("open_orders"))[0]
    sales = Domain.objects.get(name="sales")
    sales.name = "treasury"
    sales.save()  # a domain's name is in every decision on its entities
    assert not ENTITY_REFS_CACHE.peek(urn("open_orders"))[0]
    assert _fast(world, "alice", _event("b")) == 403


@pytest.fixture
def linked_to_salaries(orders):
    lineage.dataset_link(node_id=f"dataset:{PG}:{ORDERS}", urn=urn("salaries"))


def test_while_redis_is_away_the_links_are_read_for_each_event(linked_to_salaries, world, redis_away):  # noqa: F811
    from django.core.cache import cache

    from dictamesh.redis_state import REDIS

    REDIS.call(lambda: cache.get("probe"))  # the failure marks Redis down
    assert REDIS.down and not LINKS_CACHE.holds()
    assert linked_elsewhere([(PG, ORDERS), (PG, "public.other")]) == {(PG, ORDERS): urn("salaries")}
    assert _fast(world, "alice", _event("a")) == 403
    assert _fast(world, "alice", _event("b", "public.other")) == 201
