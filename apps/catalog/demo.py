"""Demo catalog for `make run`: 3 domains, 4 source systems, ~500 entities with owners, tags, relationships.

Deterministic and idempotent: a second load changes nothing (upserts by URN report "unchanged").
"""

from __future__ import annotations

import random

from .contracts import DocumentIn
from .documents import document_attach
from .models import Document, Domain, SourceSystem
from .relationships import relationships_add_many
from .services import entities_upsert

DOMAINS = {
    "sales": ("Sales", "Customers, opportunities, orders and what they are worth."),
    "finance": ("Finance", "Invoices, payments, ledgers and revenue recognition."),
    "logistics": ("Logistics", "Warehouses, shipments, carriers and stock levels."),
}
SOURCES = {
    "crm": ("salesforce", "Salesforce CRM", "sales"),
    "erp": ("postgresql", "ERP database (PostgreSQL)", "finance"),
    "events": ("kafka", "Event streams (Kafka)", "logistics"),
    "warehouse": ("snowflake", "Analytics warehouse", "sales"),
}
SUBJECTS = {
    "sales": ["customer", "account", "contact", "lead", "opportunity", "order", "order_line", "quote", "campaign",
              "product", "price_book", "territory", "sales_rep", "subscription", "churn_signal"],
    "finance": ["invoice", "invoice_line", "payment", "refund", "ledger_entry", "general_ledger", "cost_center",
                "budget", "tax_rate", "currency_rate", "revenue_schedule", "vendor", "purchase_order", "expense"],
    "logistics": ["shipment", "parcel", "carrier", "warehouse", "stock_level", "inventory_movement", "route",
                  "delivery_attempt", "return_request", "pick_list", "supplier", "bin_location"],
}  # fmt: skip
QUALIFIERS = [
    "",
    "daily",
    "monthly",
    "history",
    "snapshot",
    "enriched",
    "archive",
    "staging",
    "summary",
    "by_region",
]
PEOPLE = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
GROUPS = ["data-platform", "sales-analytics", "finance-engineering", "logistics-ops"]
DESCRIPTIONS = {
    "customer": "Every customer we bill, with their segment, country and lifetime value.",
    "order": "Orders placed through the web shop and the sales team, one row per order.",
    "invoice": "Invoices sent to customers, with amounts, due dates and payment status.",
    "payment": "Payments received by card, bank transfer or direct debit, matched to invoices.",
    "shipment": "Shipments leaving our warehouses, with carrier, tracking number and delivery status.",
    "stock_level": "Units on hand per product and warehouse, refreshed every fifteen minutes.",
    "churn_signal": "Signals that a customer may cancel: falling usage, support tickets, late payments.",
}
RUNBOOK = """# {title}

## What it holds
{description}

## Freshness
Loaded every hour by the `{source}` sync. If rows are older than two hours, check the sync run in the admin
and the dead-letter queue of the `{source}` adapter.

## Known issues
Late-arriving updates from the source can change yesterday's figures; month-end reports are final on the
third working day. Personal data (names, e-mails) is masked for readers without `read_sensitive`.
"""


def _entities() -> tuple[list[dict], list[dict]]:
    rng = random.Random(20261126)  # noqa: S311 - demo data, deterministic on purpose
    entities, rels = [], []
    by_domain: dict[str, list[str]] = {d: [] for d in DOMAINS}
    plan = [
        ("warehouse", "table", 210),
        ("erp", "table", 150),
        ("crm", "object", 80),
        ("events", "topic", 70),
    ]
    for source, entity_type, count in plan:
        seen = set()
        while len(seen) < count:
            domain = {"crm": "sales", "erp": rng.choice(["finance", "logistics"])}.get(source) or rng.choice(
                list(DOMAINS)
            )
            subject = rng.choice(SUBJECTS[domain])
            qualifier = rng.choice(QUALIFIERS)
            name = f"{subject}_{qualifier}" if qualifier else subject
            if source == "events":
                name = f"{domain}.{subject}.{rng.choice(['created', 'updated', 'deleted', 'events'])}"
            if (domain, name) in seen:
                continue
            seen.add((domain, name))
            key = f"{domain}.{name}" if source in ("warehouse", "erp") else name
            human = subject.replace("_", " ")
            description = DESCRIPTIONS.get(subject, f"{human.capitalize()} records of the {domain} domain")
            if qualifier:
                description += f" ({qualifier.replace('_', ' ')} view)."
            tags = sorted({domain, rng.choice(["gold", "silver", "bronze"])} | ({"pii"} if subject in
                          ("customer", "contact", "lead", "account", "sales_rep") else set()))  # fmt: skip
            classification = (
                "confidential" if "pii" in tags else rng.choice(["internal", "internal", "public"])
            )
            owners = [
                {"principal": f"user:{rng.choice(PEOPLE)}", "role": "technical"},
                {"principal": f"group:{rng.choice(GROUPS)}", "role": rng.choice(["business", "steward"])},
            ]
            entities.append({
                "source": source, "type": entity_type, "source_key": key, "name": name,
                "display_name": human.title() + (f" ({qualifier.replace('_', ' ')})" if qualifier else ""),
                "description": description, "domain": domain, "tags": tags, "classification": classification,
                "owners": owners, "properties": {"row_count": rng.randint(1_000, 50_000_000), "sla": "hourly"},
            })  # fmt: skip
            by_domain[domain].append(f"dm:{source}:{entity_type}:{key}")
    urns = [f"dm:{e['source']}:{e['type']}:{e['source_key']}" for e in entities]
    for urn in urns:
        domain = next(d for d, members in by_domain.items() if urn in members)
        for _ in range(rng.randint(1, 2)):
            target = rng.choice(by_domain[domain])
            if target != urn:
                predicate = (
                    "derived_from" if ":warehouse:" in urn else rng.choice(["references", "one_to_many"])
                )
                rels.append({"source": urn, "target": target, "predicate": predicate, "confidence": 0.9})
        if rng.random() < 0.2:
            other = rng.choice(urns)
            if other != urn:
                rels.append({"source": urn, "target": other, "predicate": "related_to", "bidirectional": True,
                             "confidence": round(rng.uniform(0.5, 1.0), 2)})  # fmt: skip
    return entities, rels


def load() -> str:
    for name, (display, description) in DOMAINS.items():
        Domain.objects.get_or_create(
            name=name, defaults={"display_name": display, "description": description}
        )
    for name, (kind, display, _) in SOURCES.items():
        SourceSystem.objects.get_or_create(name=name, defaults={"kind": kind, "display_name": display})
    entities, rels = _entities()
    results = entities_upsert(items=entities, actor="system:demo")
    created = sum(1 for r in results if r.status == "created")
    rel_counts = relationships_add_many(items=rels, provenance="manual")
    documents = 0
    for entity in entities[:12]:
        urn = f"dm:{entity['source']}:{entity['type']}:{entity['source_key']}"
        title = f"Runbook: {entity['display_name']}"
        if not Document.objects.filter(entity__urn=urn, title=title).exists():
            content = RUNBOOK.format(title=title, description=entity["description"], source=entity["source"])
            document_attach(urn=urn, document=DocumentIn(title=title, content=content))
            documents += 1
    return (
        f"{len(entities)} entities ({created} new), {rel_counts['created']} new relationships, "
        f"{documents} new documents"
    )
