"""The stewards' registry admin: subjects with versions, side-by-side diffs, compatibility and mode."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from apps.schemas import selectors, services
from apps.schemas.models import Config, Subject
from apps.schemas.tests.conftest import field, record
from dictamesh.auth.services import user_ensure

pytestmark = pytest.mark.django_db
V1 = record("Order", field("id", "long"))
V2 = record("Order", field("id", "long"), field("note", "string", default="none <b>"))


@pytest.fixture
def steward(client):
    client.force_login(user_ensure(username="steward", superuser=True))
    return client


@pytest.fixture
def orders():
    services.register(subject="orders-value", data=services.SchemaInput(V1))
    services.register(subject="orders-value", data=services.SchemaInput(V2))
    return Subject.objects.get(name="orders-value")


def test_subject_pages_and_side_by_side_diff(steward, orders):
    listing = steward.get("/admin/schemas/subject/").content.decode()
    assert "orders-value" in listing and "BACKWARD" in listing
    page = steward.get(f"/admin/schemas/subject/{orders.pk}/change/").content.decode()
    assert "side-by-side diff" in page and "READWRITE" in page
    diff = steward.get(f"/admin/schemas/subject/{orders.pk}/diff/").content.decode()
    assert 'class="diff"' in diff and "version 1" in diff and "version 2" in diff
    assert "none&nbsp;&lt;b&gt;" in diff and "<b>" not in diff  # the schema text is escaped
    same = steward.get(f"/admin/schemas/subject/{orders.pk}/diff/", {"from": "1", "to": "1"}).content.decode()
    assert "note" not in same
    assert steward.get("/admin/schemas/schema/1/change/").status_code == 200


def test_compatibility_and_mode_are_set_through_the_services(steward, orders):
    response = steward.post(
        "/admin/schemas/config/add/", {"subject": "orders-value", "compatibility": "FULL", "mode": "READONLY"}
    )
    assert response.status_code == 302
    assert selectors.effective_compatibility("orders-value") == "FULL"
    assert selectors.effective_mode("orders-value") == "READONLY"
    response = steward.post(
        "/admin/schemas/config/add/", {"subject": "", "compatibility": "", "mode": "IMPORT"}, follow=True
    )
    assert "Not saved" in response.content.decode()  # the registry has schemas: IMPORT needs force
    assert selectors.effective_mode("") == "READWRITE"
    row = Config.objects.get(subject="orders-value")
    steward.post(
        f"/admin/schemas/config/{row.pk}/change/",
        {"subject": "orders-value", "compatibility": "", "mode": "READONLY"},
    )
    assert selectors.effective_compatibility("orders-value") == "BACKWARD"  # back to the global level


def test_soft_delete_action(steward, orders):
    steward.post(
        "/admin/schemas/subject/", {"action": "soft_delete", ACTION_CHECKBOX_NAME: [orders.pk]}, follow=True
    )
    assert selectors.subjects_list() == [] and selectors.subjects_list(deleted=True) == ["orders-value"]


def test_clearing_and_deleting_settings_reach_the_cache(steward, orders):
    steward.post(
        "/admin/schemas/config/add/", {"subject": "orders-value", "compatibility": "NONE", "mode": "READONLY"}
    )
    assert (selectors.effective_compatibility("orders-value"), selectors.effective_mode("orders-value")) == (
        "NONE",
        "READONLY",
    )
    row = Config.objects.get(subject="orders-value")
    steward.post(
        f"/admin/schemas/config/{row.pk}/change/",
        {"subject": "orders-value", "compatibility": "NONE", "mode": ""},
    )
    assert selectors.effective_mode("orders-value") == "READWRITE"  # "(inherit)" dropped the mode
    steward.post(f"/admin/schemas/config/{row.pk}/delete/", {"post": "yes"})
    assert not Config.objects.filter(subject="orders-value").exists()
    assert selectors.effective_compatibility("orders-value") == "BACKWARD"  # no stale cached level
