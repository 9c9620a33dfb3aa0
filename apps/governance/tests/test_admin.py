"""The admin: policies are validated and saved through the services; stewards confirm or reject detected
classifications; the entity admin shows a steward only what governance lets it read, masked."""

from __future__ import annotations

import pytest

from apps.catalog.models import Entity
from apps.governance import classification
from apps.governance.contracts import FieldClassificationIn
from apps.governance.models import FieldClassification, Policy
from apps.governance.tests.helpers import EMAIL, admin_steward, make_world, urn
from dictamesh.auth.services import user_ensure
from dictamesh.events.models import EventLog


@pytest.fixture
def root(db, client):
    client.force_login(user_ensure(username="root", superuser=True))
    return client


@pytest.fixture
def steward(db, client):
    """A staff member with the catalog's view and change permissions, and no governance policy."""
    return admin_steward(client)


def test_policies_are_validated_and_versioned_in_the_admin(root):
    form = {
        "name": "admins-bad",
        "effect": "allow",
        "actors": "group:admins",
        "actions": "read, manage",
        "resources": "*",
        "condition": "hasDomain('x') &&",
        "mask": "",
        "enabled": "on",
    }
    response = root.post("/admin/governance/policy/add/", form)
    assert response.status_code == 200 and "Expected a value" in response.content.decode()
    assert not Policy.objects.filter(name="admins-bad").exists()
    form["condition"] = "hasDomain('x')"
    assert root.post("/admin/governance/policy/add/", form).status_code == 302
    saved = Policy.objects.get(name="admins-bad")
    assert saved.actions == ["read", "manage"] and saved.updated_by == "user:root"
    assert EventLog.objects.filter(
        type="dictamesh.governance.policy.created", subject="policy:admins-bad"
    ).exists()
    form["description"] = "changed"
    assert root.post(f"/admin/governance/policy/{saved.pk}/change/", form).status_code == 302
    saved.refresh_from_db()
    assert saved.version == 2 and saved.description == "changed"


def test_stewards_confirm_and_reject_suggestions(root):
    make_world()
    email = classification.field_suggest(
        urn=urn("customers"), path="email", pii_category="email", classification="confidential",
        confidence=0.97, detector="value", evidence="20/20 samples are e-mail addresses",
    )  # fmt: skip
    segment = classification.field_suggest(
        urn=urn("customers"), path="segment", pii_category="person_name", classification="confidential",
        confidence=0.4, detector="name",
    )  # fmt: skip
    listing = root.get("/admin/governance/fieldclassification/", {"status__exact": "suggested"})
    assert (
        listing.status_code == 200 and "20/20" not in listing.content.decode()
    )  # evidence is on the detail page
    action = {"action": "confirm", "_selected_action": [email.pk]}
    assert root.post("/admin/governance/fieldclassification/", action).status_code == 302
    root.post(
        "/admin/governance/fieldclassification/", {"action": "reject", "_selected_action": [segment.pk]}
    )
    assert dict(FieldClassification.objects.values_list("path", "status")) == {
        "email": "confirmed",
        "segment": "rejected",
    }
    entity = Entity.objects.get(urn=urn("customers"))
    assert entity.sensitive_fields == ["email"] and entity.pii_categories == ["email"]


def test_the_entity_admin_shows_a_steward_what_it_may_read(steward):
    make_world()
    classification.field_classify(
        field=FieldClassificationIn(urn=urn("customers"), path="email", pii_category="email")
    )
    listing = steward.get("/admin/catalog/entity/").content.decode()
    assert urn("customers") in listing and urn("salaries") not in listing
    hidden = Entity.objects.get(urn=urn("salaries"))
    assert steward.get(f"/admin/catalog/entity/{hidden.pk}/change/").status_code == 302  # "does not exist"
    customers = Entity.objects.get(urn=urn("customers"))
    page = steward.get(f"/admin/catalog/entity/{customers.pk}/change/").content.decode()
    assert "j***@example.com" in page and EMAIL not in page
    history = steward.get(f"/admin/catalog/entity/{customers.pk}/history/").content.decode()
    assert EMAIL not in history
