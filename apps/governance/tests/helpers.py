"""A small world for governance tests: users, a token each, and entities of every classification."""

from __future__ import annotations

import json

from django.contrib.auth.models import Group

from apps.catalog import services as catalog
from dictamesh.auth.services import api_token_create, user_ensure
from tests.conftest import bearer

EMAIL = "jane.doe@example.com"
CARD = "4111 1111 1111 1111"


def person(name: str, *, staff: bool = False, superuser: bool = False, groups=()) -> dict[str, str]:
    """A user and the headers of a request with its token."""
    user = user_ensure(username=name, superuser=superuser)
    if staff and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    for group in groups:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return bearer(api_token_create(user=user, name="test").clear)


def admin_steward(client, name: str = "stella"):
    """``client`` signed in to the admin as a staff member with the catalog's view and change permissions
    (no governance policy of its own)."""
    from django.contrib.auth.models import Permission

    user = user_ensure(username=name)
    user.is_staff = True
    user.save()
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="catalog"))
    client.force_login(user)
    return client


def entity(key: str, *, classification: str = "internal", domain: str = "sales", **fields) -> dict:
    return {
        "source": "crm",
        "type": "table",
        "source_key": key,
        "name": key,
        "domain": domain,
        "classification": classification,
        **fields,
    }


def urn(key: str) -> str:
    return f"dm:crm:table:{key}"


def make_world() -> None:
    catalog.domain_create(name="sales")
    catalog.domain_create(name="finance")
    catalog.source_create(name="crm", kind="salesforce")
    items = [
        entity("open_orders", classification="public", tags=["gold"]),
        entity(
            "customers",
            classification="confidential",
            description="Customer master data",
            properties={"email": EMAIL, "card": CARD, "segment": "retail", "address": {"city": "Lyon"}},
        ),
        entity(
            "salaries",
            classification="restricted",
            domain="finance",
            description="Payroll salaries",
            owners=[{"principal": "user:olga", "role": "business"}],
        ),
    ]
    results = catalog.entities_upsert(items=items)
    assert all(r.status == "created" for r in results), [r.as_dict() for r in results]
    from apps.catalog.relationships import relationships_add_many

    relationships_add_many(
        items=[
            {"source": urn("open_orders"), "target": urn("salaries"), "predicate": "feeds"},
            {"source": urn("salaries"), "target": urn("customers"), "predicate": "feeds"},
            {"source": urn("open_orders"), "target": urn("customers"), "predicate": "references"},
        ]
    )


def gql(client, query: str, headers: dict | None = None, variables: dict | None = None) -> dict:
    response = client.post(
        "/graphql",
        json.dumps({"query": query, "variables": variables or {}}),
        content_type="application/json",
        **(headers or {}),
    )
    assert response.status_code == 200, response.content
    return response.json()


def policy(client, headers, **fields):
    response = client.post(
        "/api/v1/governance/policies", json.dumps(fields), content_type="application/json", **headers
    )
    assert response.status_code == 201, response.content
    return response.json()


PAY_RAW, PAY_MID, PAY_OUT = "public.raw_pay", "public.salaries", "public.pay_report"


def pay_chain() -> None:
    """Lineage: raw_pay.amount → (job load) → salaries.amount → (job report) → pay_report.total (and
    pay_report.n, derived from nothing), applied."""
    from apps.lineage import services as lineage
    from apps.lineage.tests.conftest import PG, column_lineage, dataset, run_event

    for job, source, target, fields, mapping in (
        ("load", (PAY_RAW, [("amount", "int"), ("id", "int")]), PAY_MID, [("amount", "int")],
         {"amount": [(PG, PAY_RAW, "amount")]}),
        ("report", (PAY_MID, [("amount", "int")]), PAY_OUT, [("total", "int"), ("n", "int")],
         {"total": [(PG, PAY_MID, "amount")]}),
    ):  # fmt: skip
        lineage.ingest(
            run_event(
                "COMPLETE",
                job,
                inputs=[dataset(PG, *source)],
                outputs=[dataset(PG, target, fields, columnLineage=column_lineage(mapping))],
            )  # fmt: skip
        )
    lineage.catch_up()
