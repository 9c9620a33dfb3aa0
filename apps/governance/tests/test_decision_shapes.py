"""Decisions taken once for resources alike in what the policies read (Access.decide): the same answers as
deciding each resource on its own, for every function and attribute of the condition language."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest

from apps.governance import engine, expressions
from apps.governance.access import Access
from apps.governance.contracts import Resource
from apps.governance.tests.test_expressions import ALICE

CONDITIONS = [
    "isOwner()",
    "matchAnyTag('PII.*')",
    "matchAllTags('PII.*', 'gold')",
    "hasDomain('finance')",
    "hasSource('crm')",
    "hasType('view')",
    "matchUrn('dm:crm:*')",
    "hasClassification('confidential')",
    "classificationAtLeast('confidential')",
    "hasPii('email')",
    "hasPii()",
    "matchField('card*')",
    "matchSubject('pay*')",
    "inGroup('analysts') && hasDomain('hr')",
    "resource.domain == 'finance' && resource.type != 'view'",
    "'gold' in resource.tags",
    "'user:bob' in resource.owners",
    "resource.urn == 'dm:crm:table:t1'",
    "resource.field == 'email'",
    "resource.kind == 'field'",
    "!(resource.subject != 'payments-value')",
]


def _resources() -> list[Resource]:
    out = []
    values = itertools.product(
        ("dm:crm:table:t1", "dm:erp:table:t2"),
        ("table", "view"),
        ("finance", "hr"),
        ("crm", "erp"),
        ("internal", "confidential", "restricted"),
        (("gold",), ("PII.email", "gold"), ()),
        (("user:alice",), ("user:bob",)),
        (("email", ""), ("card", "credit_card"), ("", "")),
        ("", "payments-value"),
    )
    for urn, kind_of, domain, source, level, tags, owners, (field, pii), subject in values:
        out.append(
            Resource(
                kind="field" if field else "entity", urn=urn, type=kind_of, domain=domain, source=source,
                classification=level, tags=tags, owners=owners, field=field, pii=(pii,) if pii else (),
                subject=subject,
            )
        )  # fmt: skip
    return out


def _policy(name: str, effect: str, condition: str, actors=("group:analysts",), mask: str = ""):
    row = SimpleNamespace(
        name=name, effect=effect, actors=list(actors), actions=["read", "read_sensitive"],
        resources=["entity", "field"], condition=condition, mask=mask,
    )  # fmt: skip
    return engine.compile_policy(row)


def _access(*policies) -> Access:
    acc = Access(actor=ALICE)
    acc._policies = engine.PolicySet(version=1, policies=tuple(policies))
    return acc


@pytest.mark.parametrize("condition", CONDITIONS)
@pytest.mark.parametrize(("effect", "actors"), [("allow", ("group:analysts",)), ("deny", ("owner",))])
def test_deciding_alike_resources_once_answers_as_deciding_each(condition, effect, actors):
    policy = _policy("p", effect, condition, actors, mask="hash" if effect == "deny" else "")
    acc = _access(policy)
    for resource in _resources():
        for action in ("read", "read_sensitive"):
            alone = engine.decide(acc.policies, ALICE, action, resource)
            assert acc.decide(action, resource, record=False) == alone, (condition, action, resource)


def test_what_a_condition_reads():
    reads = lambda text: expressions.resource_reads(expressions.parse(text))  # noqa: E731
    assert reads("") == frozenset()
    assert reads("inGroup('a') || isUser('b') || actor.username == 'c'") == frozenset()
    assert reads("hasDomain('x') && !matchAnyTag('secret')") == {"domain", "tags"}
    assert reads("isOwner() || 'user:x' in resource.owners") == {expressions.OWNS, "owners"}
    assert reads("matchField('a.*') && resource.urn != ''") == {"kind", "field", "urn"}
    assert reads("classificationAtLeast('internal')") == {"classification"}
    assert reads("resource.type in ['table', 'view']") == {"type"}


def test_a_condition_whose_reads_are_unknown_is_decided_resource_by_resource():
    assert expressions.resource_reads(("call", "someFutureFunction", ())) is None
    unknown = engine.CompiledPolicy(
        name="u", effect="deny", actors=frozenset({"*"}), actions=frozenset({"read"}),
        resources=frozenset({"entity"}), tree=("call", "x", ()), mask="",
        check=lambda actor, resource: resource.urn.endswith("1"), reads=None,
    )  # fmt: skip
    acc = _access(unknown)
    one, two = Resource(kind="entity", urn="dm:a:t:1"), Resource(kind="entity", urn="dm:a:t:2")
    assert engine.shape(acc.policies.for_actor(ALICE, "read", "entity")) is None
    assert not acc.can("read", one)
    assert acc.can("read", two)


def test_alike_resources_cost_one_decision(monkeypatch):
    acc = _access(_policy("pii", "deny", "hasPii('credit_card')", ("*",)))
    calls = []
    decide = engine.decide
    monkeypatch.setattr(engine, "decide", lambda *a, **k: calls.append(a[3]) or decide(*a, **k))
    cards = [
        Resource(kind="field", urn=f"dm:crm:table:t{i}", field="card", pii=("credit_card",))
        for i in range(50)
    ]
    emails = [
        Resource(kind="field", urn=f"dm:crm:table:t{i}", field="email", pii=("email",)) for i in range(50)
    ]
    assert not any(acc.can("read_sensitive", r) for r in cards)
    assert not any(acc.can("read_sensitive", r) for r in emails)  # masked by default, not by the policy
    assert {acc.decide("read_sensitive", r).reason for r in cards} == {"denied_by_policy"}
    assert {acc.decide("read_sensitive", r).reason for r in emails} == {"sensitive_by_default"}
    assert len(calls) == 2  # one per shape: (field, internal, credit_card) and (field, internal, email)


def test_a_decision_is_taken_once_per_policy_set_and_caller_across_requests(monkeypatch):
    from dataclasses import replace

    policies = engine.PolicySet(
        version=1, policies=(_policy("pii", "deny", "hasPii('credit_card')", ("*",)),)
    )
    calls = []
    decide = engine.decide
    monkeypatch.setattr(engine, "decide", lambda *a, **k: calls.append(a[3]) or decide(*a, **k))
    card = Resource(kind="field", urn="dm:crm:table:t1", field="card", pii=("credit_card",))

    def request(actor=ALICE, policy_set=policies) -> Access:
        acc = Access(actor=actor)
        acc._policies = policy_set
        assert not acc.can("read_sensitive", card)
        return acc

    first, second = request(), request()
    assert len(calls) == 1  # the second request found the first one's decision
    assert first.audit.denied_count == second.audit.denied_count == 1  # each request audits its denial
    request(actor=replace(ALICE, username="bob"))
    assert len(calls) == 2  # another caller: decided again
    request(policy_set=engine.PolicySet(version=2, policies=policies.policies))
    assert len(calls) == 3  # a new policy version: decided again


def test_the_read_sql_tests_columns_before_it_runs_subqueries():
    owners = _policy("owners", "allow", "isOwner()", ("*",))
    tags = _policy("tags", "allow", "matchAnyTag('team.*')")
    sql = engine.entity_read_sql(engine.PolicySet(version=1, policies=(owners, tags)), ALICE)
    default = sql.text.index("{e}.classification <> 'restricted'")
    assert default < sql.text.index("SELECT"), sql.text  # the default arm decides most rows, first
    assert (
        engine.entity_read_sql(engine.PolicySet(version=1, policies=(owners, tags)), ALICE).text == sql.text
    )
