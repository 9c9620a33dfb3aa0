"""The demo data shows governance at work, and loads twice without change."""

from __future__ import annotations

from apps.catalog import demo as catalog_demo
from apps.governance import demo
from apps.governance.models import Policy
from apps.governance.tests.helpers import person


def test_the_demo_masks_and_restricts(db, client):
    catalog_demo.load()
    first = demo.load()
    assert "confirmed" in first
    again = demo.load()
    assert again.endswith("0 new policies")
    assert Policy.objects.count() == 4  # the seeded one and the demo's three
    analyst = person("analyst")
    contacts = client.get(f"/api/v1/catalog/entities/{demo.CONTACTS}", **analyst).json()
    assert contacts["properties"]["sample_email"] == "a***@example.com"
    assert contacts["properties"]["sample_card"].startswith("hash:")
    anonymous = client.get(f"/api/v1/catalog/entities/{demo.CONTACTS}").json()
    assert (
        anonymous["properties"]["sample_card"] == contacts["properties"]["sample_card"]
    )  # no more than a user
    assert client.get(f"/api/v1/catalog/entities/{demo.PAYROLL}", **analyst).status_code == 404
    finance = person("fiona", groups=["finance-analysts"])
    assert client.get(f"/api/v1/catalog/entities/{demo.PAYROLL}", **finance).status_code == 200
    support = person("sam", groups=["support"])
    shown = client.get(f"/api/v1/catalog/entities/{demo.CONTACTS}", **support).json()["properties"]
    assert shown["sample_email"] == "ada.lovelace@example.com" and shown["sample_card"].startswith("hash:")
