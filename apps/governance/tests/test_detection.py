"""PII detection: by names and by values (validated, not only shaped), suggestions a steward confirms."""

from __future__ import annotations

import json

import pytest

from apps.governance import consumers, detection
from apps.governance.models import FieldClassification
from apps.governance.tests.helpers import make_world, person, urn
from dictamesh.events.models import EventLog


@pytest.mark.parametrize(
    ("value", "category"),
    [
        ("jane.doe@example.com", "email"),
        ("not an email@", None),
        ("+33 6 12 34 56 78", "phone"),
        ("(415) 555-2671", "phone"),
        ("12345", None),
        ("4111 1111 1111 1111", "credit_card"),
        ("4111 1111 1111 1112", None),  # fails the Luhn check
        ("DE89 3704 0044 0532 0130 00", "iban"),
        ("DE89 3704 0044 0532 0130 01", None),  # bad IBAN check digits
        ("536-90-4399", "national_id"),
        ("000-12-3456", None),  # SSNs never start with 000
        ("RCCMNL83S18D969H", "national_id"),
        ("192.168.10.4", "ip_address"),
        ("2001:db8::1", "ip_address"),
        ("999.1.1.1", None),
        ("retail", None),
        (True, None),
        (None, None),
    ],
)
def test_values_are_recognised_by_what_they_are(value, category):
    assert detection.category_of(value) == category


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("email", {"email"}),
        ("contact.emailAddress", {"email"}),
        ("customer_first_name", {"person_name"}),
        ("dateOfBirth", {"date_of_birth"}),
        ("billing.iban", {"iban"}),
        ("ssn", {"national_id"}),
        ("user_password_hash", {"password"}),
        ("order_total", set()),
        ("emailed_at", set()),  # a word of its own, not a part of one
    ],
)
def test_names(path, expected):
    assert {s.category for s in detection.by_name(path)} == expected


def test_values_need_a_majority_of_samples():
    rows = [
        {"contact": {"mail": f"user{i}@example.com"}, "note": "x", "born": "1980-02-03"} for i in range(6)
    ]
    rows += [{"contact": {"mail": "unknown"}, "note": "jo@example.com"} for _ in range(2)]
    found = {(s.path, s.category): s for s in detection.by_values(rows)}
    assert set(found) == {("contact.mail", "email"), ("born", "date_of_birth")}
    assert found[("contact.mail", "email")].confidence == 0.75
    assert found[("contact.mail", "email")].evidence == "6 of 8 sampled values are email"


def test_detect_endpoint_suggests_and_a_steward_confirms(db, client):
    make_world()
    steward = person("stella", staff=True)
    samples = [
        {
            "email": f"p{i}@example.org",
            "phone_number": "+44 20 7946 0958",
            "iban": "GB82 WEST 1234 5698 7654 32",
        }
        for i in range(5)
    ]
    response = client.post(
        "/api/v1/governance/detect",
        json.dumps({"urn": urn("customers"), "samples": samples}),
        content_type="application/json",
        **steward,
    )
    assert response.status_code == 200, response.content
    found = {(s["path"], s["pii_category"], s["detector"]) for s in response.json()["suggestions"]}
    assert {("email", "email", "name+value"), ("iban", "iban", "name+value")} <= found  # both agree: one row
    assert ("card", "credit_card", "value") in found  # from the entity's own properties
    assert ("phone_number", "phone", "name+value") in found
    fields = [(s["path"], s["pii_category"]) for s in response.json()["suggestions"]]
    assert len(fields) == len(set(fields))  # one suggestion per field and category
    assert all(s["status"] == "suggested" for s in response.json()["suggestions"])
    # suggestions mask nothing until confirmed
    alice = person("alice")
    state = client.get(f"/api/v1/catalog/entities/{urn('customers')}", **alice).json()
    assert "masked_fields" not in state
    card = FieldClassification.objects.get(urn=urn("customers"), path="card", detector="value")
    assert (
        client.post(f"/api/v1/governance/fields/{card.pk}/confirm", **steward).json()["status"] == "confirmed"
    )
    state = client.get(f"/api/v1/catalog/entities/{urn('customers')}", **alice).json()
    assert state["masked_fields"] == ["card"]
    assert EventLog.objects.filter(
        type="dictamesh.governance.field.classified", subject=urn("customers")
    ).exists()
    bad = client.post(
        "/api/v1/governance/detect", json.dumps({"urn": urn("customers"), "samples": "x"}),
        content_type="application/json", **steward,
    )  # fmt: skip
    assert bad.status_code == 400 and bad.json()["fields"] == {"samples": "list of objects"}
    refused = client.post(
        "/api/v1/governance/detect",
        json.dumps({"urn": urn("customers")}),
        content_type="application/json",
        **alice,
    )
    assert refused.status_code == 403
    again = client.post(
        "/api/v1/governance/detect",
        json.dumps({"urn": urn("customers"), "samples": samples[:1]}),  # one sample: only the name agrees now
        content_type="application/json",
        **steward,
    )
    assert again.status_code == 200
    rows = FieldClassification.objects.filter(urn=urn("customers"), path="email", pii_category="email")
    assert [r.detector for r in rows] == ["name+value"]  # the later, weaker scan adds no second row
    email = rows.get()
    assert "name" in email.evidence and "sampled values" in email.evidence
    assert (
        client.post(f"/api/v1/governance/fields/{email.pk}/confirm", **steward).json()["status"]
        == "confirmed"
    )
    client.post("/api/v1/governance/detect", json.dumps({"urn": urn("customers"), "samples": samples}),
                content_type="application/json", **steward)  # fmt: skip
    assert FieldClassification.objects.filter(urn=urn("customers"), path="email").count() == 1  # decided


def test_registered_entities_are_scanned_by_the_consumer(db):
    make_world()
    event = EventLog.objects.filter(
        type="dictamesh.catalog.entity.registered", subject=urn("customers")
    ).get()

    class Event:
        type = event.type
        subject = event.subject
        data = {**event.data, "entity": event.after}

    consumers.entity_changed(Event())
    rows = set(
        FieldClassification.objects.filter(urn=urn("customers")).values_list(
            "path", "pii_category", "detector"
        )
    )
    assert {("email", "email", "name+value"), ("card", "credit_card", "value")} <= rows
    consumers.entity_changed(Event())  # again: idempotent
    assert FieldClassification.objects.filter(urn=urn("customers")).count() == len(rows)
