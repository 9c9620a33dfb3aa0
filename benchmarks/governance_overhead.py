"""What authorization costs: a 100-entity GraphQL query with governance, and the same without it.

    .venv/bin/python benchmarks/governance_overhead.py [--entities 5000] [--policies 20] [--queries 200]
        [--rounds 5] [--write docs/benchmarks.md]

Starts its own embedded PostgreSQL and Redis unless DATABASE_URL and REDIS_URL are set. The catalog holds
``--entities`` entities in 5 domains (a tenth restricted, a third confidential with an e-mail, a phone
and a card number in their properties, those three fields confirmed as PII), each with 2 relationships,
and ``--policies`` access policies (allows and denies with conditions on domains, tags, classifications,
owners and PII). The caller is an analyst without read_sensitive: every classified field it reads is
masked, and every restricted entity is filtered out in SQL.

The query: the first 100 entities of a domain with their owners, tags, properties and relationships'
targets (targets go through the same decisions and masking). The baseline runs the same query with the
catalog's governance hooks (``apps.catalog.governed``) replaced by pass-throughs and the audit middleware
idle, in the same process, interleaved round by round. Latencies are in process (Django test client: the
full middleware, auth and GraphQL stack, no network); each figure is the p95 of ``--queries`` requests,
the reported one the median of ``--rounds`` p95s. Also: the cost of one decision (µs, over the compiled
policies) and of the per-request part (the caller's groups, roles and the policy version: one query).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import append_section, boot, machine, percentile, shutdown  # noqa: E402 - after sys.path
from benchmarks.ungoverned import ungoverned  # noqa: E402

QUERY = """
query($first: Int!, $domain: String!) {
  entities(first: $first, filter: {domain: $domain}) {
    nodes {
      urn name tags classification owners { principal role } properties
      relationships { predicate target { urn name classification properties } }
    }
  }
}
"""
DOMAINS = ["sales", "finance", "marketing", "hr", "ops"]


def seed(entities: int, policies: int) -> None:
    from apps.catalog import services as catalog
    from apps.catalog.relationships import relationships_add_many
    from apps.governance import classification
    from apps.governance import services as governance
    from apps.governance.contracts import FieldClassificationIn, PolicyIn

    for name in DOMAINS:
        catalog.domain_create(name=name)
    catalog.source_create(name="crm", kind="salesforce")
    items = []
    for i in range(entities):
        level = "restricted" if i % 10 == 0 else "confidential" if i % 3 == 0 else "internal"
        props = {"segment": "retail", "region": f"r{i % 7}"}
        if level == "confidential":
            props.update(
                email=f"person{i}@example.com", phone="+33 6 12 34 56 78", card="4111 1111 1111 1111"
            )
        items.append(
            {
                "source": "crm", "type": "table", "source_key": f"t{i:06d}", "name": f"table {i}",
                "domain": DOMAINS[i % len(DOMAINS)], "classification": level,
                "tags": ["gold" if i % 2 else "silver", f"team.{i % 9}"]
                + (["PII.email"] if level == "confidential" else []),
                "owners": [{"principal": f"user:owner{i % 13}", "role": "technical"},
                           {"principal": "group:data", "role": "steward"}],
                "properties": props,
            }
        )  # fmt: skip
    catalog.entities_upsert(items=items)
    relationships_add_many(
        items=[
            {"source": f"dm:crm:table:t{i:06d}", "target": f"dm:crm:table:t{(i + k) % entities:06d}",
             "predicate": "feeds"}
            for i in range(entities)
            for k in (5, 10)
        ]
    )  # fmt: skip
    for i in range(0, entities, 3):
        if i % 10 == 0:
            continue
        urn = f"dm:crm:table:t{i:06d}"
        for path, category in (("email", "email"), ("phone", "phone"), ("card", "credit_card")):
            classification.field_classify(
                field=FieldClassificationIn(urn=urn, path=path, pii_category=category)
            )
    shapes = [
        ("allow", ["group:finance-readers"], ["read"], "hasDomain('finance') && !matchAnyTag('secret')"),
        ("deny", ["group:contractors"], ["read"], "hasClassification('confidential') && hasDomain('hr')"),
        ("allow", ["owner"], ["read_sensitive"], "hasPii('email', 'phone')"),
        ("deny", ["*"], ["read_sensitive"], "hasPii('credit_card') && !inGroup('payments')"),
        ("allow", ["group:analysts"], ["read"], "matchAnyTag('team.*') && classificationAtLeast('internal')"),
    ]
    for n in range(policies):
        effect, actors, actions, condition = shapes[n % len(shapes)]
        governance.policy_create(
            policy=PolicyIn(
                name=f"policy-{n:02d}", effect=effect, actors=actors, actions=actions, resources=["entity", "field"],
                condition=f"({condition}) || resource.type == 'never-{n}'",
            )
        )  # fmt: skip


def p95_of(client, headers: dict, queries: int) -> float:
    latencies = []
    for i in range(queries):
        body = json.dumps({"query": QUERY, "variables": {"first": 100, "domain": DOMAINS[i % 2]}})
        started = time.perf_counter()
        response = client.post("/graphql", body, content_type="application/json", **headers)
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and "errors" not in response.json(), response.content[:500]
    return percentile(latencies, 0.95)


def decision_cost(count: int = 20000) -> tuple[float, float]:
    """µs per decision over the compiled policies; ms for a request's actor and policy version."""
    from django.contrib.auth import get_user_model

    from apps.governance.access import Access
    from apps.governance.contracts import Resource

    user = get_user_model().objects.get(username="analyst")
    access = Access(user)
    access.actor  # noqa: B018 - load it
    resources = [
        Resource(kind="entity", urn=f"dm:crm:table:t{i}", type="table", domain=DOMAINS[i % 5],
                 classification=("internal", "confidential")[i % 2], tags=("gold", f"team.{i % 9}"),
                 owners=(f"user:owner{i % 13}",), pii=("email",) if i % 2 else ())
        for i in range(count)
    ]  # fmt: skip
    from apps.governance import engine

    started = time.perf_counter()
    for resource in resources:
        engine.decide(access.policies, access.actor, "read", resource)
    per_decision = (time.perf_counter() - started) / count * 1e6
    started = time.perf_counter()
    for _ in range(200):
        Access(user).actor  # noqa: B018 - one query: groups, roles, policy version
    per_request = (time.perf_counter() - started) / 200 * 1000
    return per_decision, per_request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entities", type=int, default=5000)
    parser.add_argument("--policies", type=int, default=20)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", type=Path, default=None)
    args = parser.parse_args()
    sup = tmp = None
    try:
        sup, tmp = boot(env={"DICTAMESH_PROCESS": "bench", "DICTAMESH_EMBEDDER": "hashing"})
        from django.test import Client

        from dictamesh.auth.services import api_token_create, user_ensure

        print(f"seeding {args.entities:,} entities, {args.policies} policies", flush=True)
        seed(args.entities, args.policies)
        analyst = user_ensure(username="analyst")
        from django.contrib.auth.models import Group

        analyst.groups.add(Group.objects.get_or_create(name="analysts")[0])
        headers = {"HTTP_AUTHORIZATION": f"Bearer {api_token_create(user=analyst, name='bench').clear}"}
        client = Client()
        p95_of(client, headers, 20)  # warm-up: imports, compiled policies, caches
        with ungoverned():
            p95_of(client, headers, 20)
        from dictamesh.core.heap import settle_heap

        settle_heap()  # what each web worker does once started (config/wsgi.py): the seed's heap is frozen
        governed_p95, baseline_p95 = [], []
        for round_ in range(args.rounds):
            with ungoverned():
                baseline_p95.append(p95_of(client, headers, args.queries))
            governed_p95.append(p95_of(client, headers, args.queries))
            print(
                f"round {round_ + 1}: baseline {baseline_p95[-1]:.1f} ms, governed {governed_p95[-1]:.1f} ms",
                flush=True,
            )
        per_decision, per_request = decision_cost()
        base, gov = statistics.median(baseline_p95), statistics.median(governed_p95)
        overhead = (gov / base - 1) * 100
        print(
            f"baseline p95 {base:.1f} ms, governed p95 {gov:.1f} ms (target ≤ 60 ms): +{overhead:.1f} % "
            "(target ≤ 10 %)"
        )
        print(f"one decision {per_decision:.1f} µs; per request (actor, version) {per_request:.2f} ms")
        if args.write:

            def runs(values):
                return ", ".join(f"{v:.1f}" for v in values)

            rows = [
                "| measure | median | target | ratio | rounds |",
                "|---|---|---|---|---|",
                f"| 100-entity GraphQL query, without governance (p95) | {base:.1f} ms | — | — "
                f"| {runs(baseline_p95)} |",
                f"| the same, governed: filtered, masked, audited (p95) | {gov:.1f} ms | ≤ 60 ms "
                f"| {60 / gov:.2f}× | {runs(governed_p95)} |",
                f"| authorization overhead on that p95 | +{overhead:.1f} % | ≤ 10 % "
                f"| {10 / max(overhead, 0.01):.2f}× | |",
                f"| one decision ({args.policies} policies + the seeded one) | {per_decision:.1f} µs | — | — | |",
                f"| per request: caller's groups, roles, policy version (1 query) | {per_request:.2f} ms | — | — | |",
            ]  # fmt: skip
            section = (
                f"\n## Governance overhead — {datetime.now(UTC):%Y-%m-%d}\n\n{machine()}.\n\n"
                f"Command: `.venv/bin/python benchmarks/governance_overhead.py --entities {args.entities} "
                f"--policies {args.policies} --queries {args.queries} --rounds {args.rounds} "
                "--write docs/benchmarks.md`\n\n" + "\n".join(rows) + "\n"
            )
            append_section(args.write, section)
    finally:
        shutdown(sup, tmp)


if __name__ == "__main__":
    main()
