"""Hole 10 (ADR 0014): when the access audit cannot be written, a sensitive read is withheld (503), never
served unaudited. The failure is real: the outbox table refuses the audit's rows."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from apps.governance.tests.helpers import CARD, person, urn
from apps.governance.tests.test_masking import classify


@pytest.fixture
def refusing_audit():
    """The outbox refuses the audit's rows (a trigger), for the test's length: requests run as in production,
    each in its own transaction."""
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS dictamesh_test_refuse_audit ON dictamesh_events_outbox")
        cursor.execute("DROP FUNCTION IF EXISTS dictamesh_test_refuse_audit()")


@pytest.mark.django_db(transaction=True)
def test_a_sensitive_read_whose_audit_cannot_be_written_is_withheld(world, client, refusing_audit):
    steward = person("stella", staff=True)
    classify(client, steward, "card", "credit_card", "restricted")
    customers = f"/api/v1/catalog/entities/{urn('customers')}"
    assert client.get(customers, **world["root"]).status_code == 200  # audited: the read of a card
    with connection.cursor() as cursor:
        cursor.execute(
            """
            CREATE FUNCTION dictamesh_test_refuse_audit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.topic = 'dictamesh.governance.audit.v1' THEN
                    RAISE EXCEPTION 'the audit store is unavailable';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER dictamesh_test_refuse_audit BEFORE INSERT ON dictamesh_events_outbox
                FOR EACH ROW EXECUTE FUNCTION dictamesh_test_refuse_audit();
            """
        )
    response = client.get(customers, **world["root"])
    assert response.status_code == 503, response.content
    body = response.json()
    assert body["code"] == "audit_unavailable" and CARD not in json.dumps(body)
    # what reads nothing sensitive is not held back
    assert client.get(f"/api/v1/catalog/entities/{urn('open_orders')}", **world["alice"]).status_code == 200
