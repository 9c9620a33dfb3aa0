"""The entity page and the admin's relationships tell a caller only what it may read: a restricted entity is
a 404 like a missing one, and neither its name nor its description leaks through another entity's page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from apps.catalog.models import Entity
from apps.governance.tests.helpers import admin_steward, urn


@pytest.fixture
def alice_session(world, client):
    client.force_login(get_user_model().objects.get(username="alice"))
    return client


def test_a_restricted_entity_is_not_found_on_its_page(alice_session):
    page = alice_session.get(f"/entities/{urn('salaries')}/")
    assert page.status_code == 404
    assert "Payroll" not in page.content.decode()
    assert alice_session.get("/entities/dm:crm:table:nosuch/").status_code == 404  # alike


def test_relationships_name_only_what_the_reader_may_read(alice_session):
    page = alice_session.get(f"/entities/{urn('open_orders')}/").content.decode()
    assert "customers" in page and "references" in page
    assert "salaries" not in page and "feeds" not in page  # open_orders feeds salaries: not for alice
    incoming = alice_session.get(f"/entities/{urn('customers')}/").content.decode()
    assert "salaries" not in incoming  # salaries feeds customers
    assert 'id="readers"' not in incoming and 'id="edit"' not in incoming  # stewards' parts


def test_a_superuser_sees_both_directions_and_the_stewards_parts(world, client):
    client.force_login(get_user_model().objects.get(username="root"))
    page = client.get(f"/entities/{urn('customers')}/").content.decode()
    assert "salaries" in page and "feeds" in page and "references" in page
    assert 'id="readers"' in page and 'id="edit"' in page


def test_the_admin_lists_only_relationships_whose_other_end_the_steward_may_read(world, client):
    steward = admin_steward(client)
    opened = Entity.objects.get(urn=urn("open_orders"))
    page = steward.get(f"/admin/catalog/entity/{opened.pk}/change/").content.decode()
    assert "references" in page and f"/entities/{urn('customers')}/" in page
    assert urn("salaries") not in page


def test_the_subject_admin_lists_and_opens_only_subjects_the_steward_may_read(world, client):
    from django.contrib.auth.models import Permission

    from apps.catalog import public as catalog
    from apps.schemas import public as schemas
    from apps.schemas.models import Subject

    avro = '{"type": "record", "name": "R", "fields": [{"name": "id", "type": "int"}]}'
    for key in ("customers", "salaries"):
        schemas.register_schema(subject=f"crm.{key}-value", schema_type="AVRO", schema=avro)
        catalog.entity_link_schema(urn=urn(key), subject=f"crm.{key}-value")
    steward = admin_steward(client)
    user = get_user_model().objects.get(username="stella")
    user.user_permissions.add(*Permission.objects.filter(content_type__app_label="schemas"))
    listed = steward.get("/admin/schemas/subject/").content.decode()
    assert "crm.customers-value" in listed and "crm.salaries-value" not in listed  # salaries is restricted
    hidden = Subject.objects.get(name="crm.salaries-value")
    assert steward.get(f"/admin/schemas/subject/{hidden.pk}/change/").status_code in (302, 404)
    shown = Subject.objects.get(name="crm.customers-value")
    page = steward.get(f"/admin/schemas/subject/{shown.pk}/change/").content.decode()
    assert f"/entities/{urn('customers')}/" in page and urn("salaries") not in page
