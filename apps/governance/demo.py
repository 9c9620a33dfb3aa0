"""Demo governance (idempotent): a customer table with PII that detection finds and a steward confirms, a
restricted payroll table, a few policies, a role, a dry-run retention policy and a legal hold.

Try, with the demo admin's token or as `analyst` (see docs/governance.md):
``/api/v1/catalog/entities/dm:crm:table:customer_contacts`` (e-mail and phone masked for those without
``read_sensitive``), ``/api/v1/governance/explain?action=read&resource=dm:erp:table:finance.payroll``.
"""

from __future__ import annotations

from django.contrib.auth.models import Group

from apps.catalog.public import entities_upsert
from dictamesh.contracts import parse

from . import classification, retention, services
from .contracts import LegalHoldIn, PolicyIn, RetentionPolicyIn, RoleIn
from .models import FieldClassification, LegalHold, Policy, RetentionPolicy, Role, Status

CONTACTS = "dm:crm:table:customer_contacts"
PAYROLL = "dm:erp:table:finance.payroll"
POLICIES = [
    {
        "name": "finance-analysts-read-finance",
        "description": "Finance analysts read the finance domain, restricted tables included.",
        "effect": "allow", "actors": ["group:finance-analysts"], "actions": ["read"], "resources": ["entity"],
        "condition": "hasDomain('finance')",
    },
    {
        "name": "support-reads-contact-details",
        "description": "Support sees customers' e-mail addresses and phone numbers unmasked.",
        "effect": "allow", "actors": ["group:support", "role:data-stewards"], "actions": ["read_sensitive"],
        "resources": ["field"], "condition": "hasPii('email', 'phone')",
    },
    {
        "name": "no-card-numbers",
        "description": "Card numbers are shown hashed to everyone but their owners.",
        "effect": "deny", "actors": ["*"], "actions": ["read_sensitive"], "resources": ["field"],
        "condition": "hasPii('credit_card') && !isOwner()", "mask": "hash",
    },
]  # fmt: skip


def load() -> str:
    entities_upsert(
        items=[
            {
                "source": "crm", "type": "table", "source_key": "customer_contacts", "name": "customer_contacts",
                "display_name": "Customer contacts", "domain": "sales", "classification": "confidential",
                "description": "How to reach each customer: e-mail, phone, postal address.", "tags": ["sales", "pii"],
                "owners": [{"principal": "group:sales-ops", "role": "business"}],
                "properties": {"row_count": 182_331, "sla": "hourly", "sample_email": "ada.lovelace@example.com",
                               "sample_phone": "+44 20 7946 0958", "sample_card": "4111 1111 1111 1111"},
            },
            {
                "source": "erp", "type": "table", "source_key": "finance.payroll", "name": "payroll",
                "display_name": "Payroll", "domain": "finance", "classification": "restricted",
                "description": "Salaries and bonuses per employee and month.", "tags": ["finance", "pii"],
                "owners": [{"principal": "group:hr", "role": "business"}],
                "properties": {"row_count": 48_000, "sla": "monthly"},
            },
        ],
        actor="system:demo",
    )  # fmt: skip
    suggestions = len(classification.fields_detect(urn=CONTACTS, rows=[], properties=True))
    confirmed = 0
    for row in FieldClassification.objects.filter(
        urn=CONTACTS, detector__contains="value", status=Status.SUGGESTED
    ):
        classification.field_decide(pk=row.pk, confirm=True, actor="system:demo")
        confirmed += 1
    for group in ("finance-analysts", "support", "sales-ops", "hr"):
        Group.objects.get_or_create(name=group)
    if not Role.objects.filter(name="data-stewards").exists():
        services.role_save(name="data-stewards", role=RoleIn(description="Stewards of the demo"), create=True,
                           actor="system:demo")  # fmt: skip
    created = 0
    for policy in POLICIES:
        if not Policy.objects.filter(name=policy["name"]).exists():
            services.policy_create(policy=parse(PolicyIn, policy), actor="system:demo")
            created += 1
    if not RetentionPolicy.objects.filter(name="logistics-events-2y").exists():
        retention.policy_save(
            policy=RetentionPolicyIn(name="logistics-events-2y", domain="logistics", entity_type="topic", keep_days=730,
                                     action="delete",
                                     description="Logistics event streams unchanged for two years (dry run)."),
            actor="system:demo",
        )  # fmt: skip
    if not LegalHold.objects.filter(name="audit-2026").exists():
        retention.hold_save(
            hold=LegalHoldIn(name="audit-2026", reason="2026 financial audit", domain="finance"),
            actor="system:demo",
        )
    return f"{suggestions} PII suggestions ({confirmed} confirmed), {created} new policies"
