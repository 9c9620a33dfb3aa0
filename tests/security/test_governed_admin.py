"""Hole 1 on the admin: the stewards' bulk actions and change form go through the same governed write, so
a staff member whom a policy denies ``manage`` cannot change owners, tags or classifications there."""

from __future__ import annotations

import pytest

from apps.catalog.models import Entity
from apps.governance.tests.helpers import admin_steward, policy, urn


@pytest.fixture
def denied_steward(world, client):
    policy(client, world["root"], name="no-manage-for-stella", effect="deny", actors=["user:stella"],
           actions=["manage"], resources=["entity"])  # fmt: skip
    return admin_steward(client)


def test_bulk_actions_cannot_assign_owners_tags_or_classifications(denied_steward):
    customers = Entity.objects.get(urn=urn("customers"))
    for action, fields in (
        ("assign_owner", {"principal": "user:stella", "role": "technical"}),
        ("add_tags", {"tags": "gold"}),
        ("classify", {"classification": "public"}),
    ):
        response = denied_steward.post(
            "/admin/catalog/entity/",
            {"action": action, "_selected_action": [customers.pk], "apply": "1", **fields},
            follow=True,
        )
        assert response.status_code == 200
        assert "needs manage" in response.content.decode(), action
    customers.refresh_from_db()
    assert (
        list(customers.owners.all()) == []
        and customers.tags == []
        and customers.classification == "confidential"
    )
