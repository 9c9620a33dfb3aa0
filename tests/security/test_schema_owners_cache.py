"""Issue 19's per-process cache of the entities behind each schema subject (catalog.caching.
SCHEMA_OWNERS_CACHE) keeps issue 18's guarantee: a subject turns hidden, or readable, at the next read after
the catalog write that changes what governance decides it by. These tests commit (the cache stores nothing
inside a transaction), so each read really comes from the cache when it can."""

from __future__ import annotations

import json
import threading

import pytest

from apps.catalog import public as catalog
from apps.catalog.caching import SCHEMA_OWNERS_CACHE
from apps.governance.tests.helpers import urn
from apps.schemas.public import register_schema
from tests.conftest import fresh_registry_caches  # noqa: F401 - registry caches outlive a flushed database

pytestmark = pytest.mark.django_db(transaction=True)

AVRO = json.dumps({"type": "record", "name": "Pay", "fields": [{"name": "amount", "type": "int"}]})
LATEST = "/schema-registry/subjects/payroll-value/versions/latest"


def _patch(client, world, name, body):
    response = client.patch(
        f"/api/v1/catalog/entities/{urn(name)}", json.dumps(body), content_type="application/json",
        **world["root"],
    )  # fmt: skip
    assert response.status_code == 200, response.content


def test_linking_classifying_and_unlinking_an_entity_moves_the_subject_at_the_next_read(world, client):
    register_schema(subject="payroll-value", schema_type="AVRO", schema=AVRO)
    for _ in range(2):  # the second read is served from the cache: the subject has no entity yet
        assert client.get(LATEST, **world["alice"]).status_code == 200
    assert SCHEMA_OWNERS_CACHE.peek("payroll-value")[0]

    _patch(client, world, "salaries", {"schema_subject": "payroll-value"})  # restricted, owned by olga
    assert client.get(LATEST, **world["alice"]).json()["error_code"] == 40401
    assert client.get(LATEST, **world["alice"]).json()["error_code"] == 40401  # cached, still hidden

    _patch(client, world, "salaries", {"classification": "public"})
    assert client.get(LATEST, **world["alice"]).status_code == 200
    _patch(client, world, "salaries", {"classification": "restricted"})
    assert client.get(LATEST, **world["alice"]).json()["error_code"] == 40401

    _patch(client, world, "salaries", {"schema_subject": ""})  # unlinked: the subject is nobody's again
    assert client.get(LATEST, **world["alice"]).status_code == 200

    _patch(client, world, "salaries", {"schema_subject": "payroll-value"})
    assert client.get(LATEST, **world["alice"]).json()["error_code"] == 40401
    catalog.entity_delete(urn=urn("salaries"), actor="user:root")  # a deleted entity governs nothing
    assert client.get(LATEST, **world["alice"]).status_code == 200
    assert client.get(LATEST, **world["root"]).status_code == 200


def test_a_new_entity_and_a_renamed_domain_drop_the_cached_subject(world, client):
    from apps.catalog.models import Domain
    from apps.governance.public import schema_resources

    register_schema(subject="payroll-value", schema_type="AVRO", schema=AVRO)
    assert client.get(LATEST, **world["alice"]).status_code == 200  # cached: no entity
    created = catalog.entities_upsert(
        items=[{"urn": urn("bonuses"), "name": "bonuses", "domain": "finance", "source": "crm",
                "entity_type": "table", "classification": "restricted", "schema_subject": "payroll-value"}]
    )  # fmt: skip
    assert created[0]["status"] == "created", created[0]
    assert client.get(LATEST, **world["alice"]).json()["error_code"] == 40401

    finance = Domain.objects.get(name="finance")
    finance.name = "treasury"
    finance.save()  # a domain's name is in every decision on its entities
    assert schema_resources(["payroll-value"])["payroll-value"].domain == "treasury"


def test_a_value_loaded_while_an_invalidation_arrives_is_not_stored():
    """The race of a read with a write: what the reader loaded before the write's invalidation reached this
    process is not cached (a stale entry would outlive the write until its TTL)."""
    generation = SCHEMA_OWNERS_CACHE.generation()
    SCHEMA_OWNERS_CACHE.drop(["some-other-subject"])  # an invalidation arrives meanwhile
    SCHEMA_OWNERS_CACHE.put_many({"raced-value": ((), 60)}, generation=generation)
    assert SCHEMA_OWNERS_CACHE.get_many(["raced-value"]) == {}
    SCHEMA_OWNERS_CACHE.put_many({"raced-value": ((), 60)}, generation=SCHEMA_OWNERS_CACHE.generation())
    assert SCHEMA_OWNERS_CACHE.get_many(["raced-value"]) == {"raced-value": ()}


def test_another_process_drops_its_entry_when_the_write_commits(world):
    """Every process hears the invalidation (Redis pub/sub): here, the listener thread drops the entry."""
    catalog.schema_owners(subjects=["payroll-value"])
    assert SCHEMA_OWNERS_CACHE.peek("payroll-value")[0]
    dropped = threading.Event()
    original = SCHEMA_OWNERS_CACHE._on_message

    def on_message(payload):
        original(payload)
        if "payroll-value" in payload.get("keys", []):
            dropped.set()

    SCHEMA_OWNERS_CACHE._on_message = on_message
    try:
        SCHEMA_OWNERS_CACHE.invalidate(["payroll-value"])  # what a committed write does elsewhere
        assert dropped.wait(10)
    finally:
        SCHEMA_OWNERS_CACHE._on_message = original
    assert not SCHEMA_OWNERS_CACHE.peek("payroll-value")[0]


def test_a_subject_remembered_readable_is_decided_again_when_a_policy_or_a_group_changes(world, client):
    """governance.schemas_readable remembers a readable subject per caller and policy version (outside a
    transaction): a new policy, or a change to the caller's groups, moves the version, so the next read is
    decided again; a denial is decided, and audited, at every read."""
    from django.contrib.auth.models import Group, User

    from apps.governance.models import AccessAudit
    from apps.governance.tests.helpers import policy

    register_schema(subject="payroll-value", schema_type="AVRO", schema=AVRO)
    User.objects.get(username="alice").groups.add(Group.objects.get_or_create(name="contractors")[0])
    for _ in range(2):  # the second read is remembered: alice, at this version, may read it
        assert client.get(LATEST, **world["alice"]).status_code == 200
    deny = policy(
        client, world["root"], name="no-payroll-for-contractors", effect="deny", actors=["group:contractors"],
        actions=["read"], resources=["schema"], condition="resource.subject == 'payroll-value'",
    )  # fmt: skip
    before = AccessAudit.objects.filter(actor="user:alice").count()
    for _ in range(2):  # the same caller, a new policy version
        assert client.get(LATEST, **world["alice"]).json()["error_code"] == 40401
    assert AccessAudit.objects.filter(actor="user:alice").count() == before + 2  # each denial audited
    assert client.delete(f"/api/v1/governance/policies/{deny['name']}", **world["root"]).status_code == 200
    assert client.get(LATEST, **world["alice"]).status_code == 200
    policy(
        client, world["root"], name="no-payroll-for-temps", effect="deny", actors=["group:temps"],
        actions=["read"], resources=["schema"], condition="resource.subject == 'payroll-value'",
    )  # fmt: skip
    assert client.get(LATEST, **world["alice"]).status_code == 200
    User.objects.get(username="alice").groups.add(Group.objects.get_or_create(name="temps")[0])
    assert client.get(LATEST, **world["alice"]).json()["error_code"] == 40401  # her groups changed
