"""The condition language: what it accepts, what it refuses (with a position), and that its two compilations
(Python for one decision, SQL for lists and search) agree entity by entity."""

from __future__ import annotations

import pytest
from django.db import connection

from apps.catalog import services as catalog
from apps.governance import expressions
from apps.governance.contracts import Actor, Resource
from apps.governance.expressions import ExpressionError, evaluate, parse, to_sql

ALICE = Actor(
    username="alice",
    user_id=1,
    authenticated=True,
    groups=frozenset({"analysts"}),
    roles=frozenset({"steward"}),
)
ROW = Resource(
    kind="entity",
    urn="dm:crm:table:customers",
    type="table",
    domain="finance",
    source="crm",
    classification="confidential",
    tags=("PII.email", "gold"),
    owners=("user:alice",),
    pii=("email",),
)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("", True),
        ("isOwner()", True),
        ("matchAnyTag('PII.*')", True),
        ("matchAnyTag('pii.*')", False),  # tags are case-sensitive
        ("matchAllTags('PII.*', 'gold')", True),
        ("matchAllTags('PII.*', 'silver')", False),
        ("hasDomain('finance', 'sales') && hasSource('crm')", True),
        ("hasType('view')", False),
        ("matchUrn('dm:crm:*')", True),
        ("hasClassification('restricted')", False),
        ("classificationAtLeast('confidential')", True),
        ("classificationAtLeast('restricted')", False),
        ("hasPii()", True),
        ("hasPii('iban')", False),
        ("matchField('*')", False),  # an entity is not a field
        ("inGroup('analysts') and hasRole('steward') and isUser('alice')", True),
        ("not inGroup('analysts') or isAuthenticated()", True),
        ("!isAuthenticated()", False),
        ("resource.domain == 'finance' && resource.type != 'view'", True),
        ("resource.type in ['table', 'view']", True),
        ("resource.type not in ['table', 'view']", False),
        ("'gold' in resource.tags", True),
        ("'user:alice' in resource.owners", True),
        ("actor.username == 'alice' && 'analysts' in actor.groups", True),
        ("actor.authenticated", True),
        ("(isOwner() || hasDomain('hr')) && !(matchAnyTag('secret'))", True),
        ("resource.tags == ['PII.email', 'gold']", True),
        ("resource.domain in 'finance'", False),  # `in` needs a list
        ("true && !false", True),
    ],
)
def test_conditions_evaluate(condition, expected):
    assert evaluate(parse(condition), actor=ALICE, resource=ROW) is expected
    assert expressions.compile_python(parse(condition))(ALICE, ROW) is expected  # what decisions run


@pytest.mark.parametrize(
    ("condition", "message"),
    [
        ("isOwner(", "Expected"),
        ("nope()", "Unknown function nope()"),
        ("__import__('os')", "Unknown function __import__()"),
        ("isOwner('x')", "takes exactly 0"),
        ("matchAnyTag()", "takes at least 1"),
        ("hasPii('shoe_size')", "unknown PII category"),
        ("hasClassification('secret')", "unknown classification"),
        ("resource.password == 'x'", "resource has no attribute 'password'"),
        ("resource.__class__ == 'x'", "resource has no attribute '__class__'"),
        ("os.system('ls')", "Unknown name 'os'"),
        ("resource.domain", "is not a condition"),
        ("'finance'", "is not a condition"),
        ("hasDomain('a') &&", "Expected a value"),
        ("hasDomain('a'); DROP TABLE x", "Unexpected character ';'"),
        ("hasDomain('unterminated)", "Unexpected character"),
        ("hasDomain('\\x')", "Unknown escape"),
        ("!" * 40 + "isOwner()", "nested too deeply"),
        ("(" * 40 + "isOwner()" + ")" * 40, "nested too deeply"),
        ("matchAnyTag(resource.tags)", "Expected a string"),
        ("x" * 5000, "at most"),
    ],
)
def test_bad_conditions_are_refused_with_a_reason(condition, message):
    with pytest.raises(ExpressionError) as caught:
        parse(condition)
    assert message in caught.value.message
    assert caught.value.status == 400 and caught.value.code == "invalid_condition"


def test_an_error_names_its_position():
    with pytest.raises(ExpressionError) as caught:
        parse("isOwner() && nope()")
    assert caught.value.position == 13
    assert "at character 14" in caught.value.message


def test_quotes_escape_inside_strings():
    assert evaluate(
        parse("hasDomain('it\\'s')"), actor=ALICE, resource=Resource(kind="entity", domain="it's")
    )
    assert evaluate(parse('hasDomain("a\\"b")'), actor=ALICE, resource=Resource(kind="entity", domain='a"b'))


CONDITIONS = [
    "isOwner()",
    "matchAnyTag('PII.*')",
    "matchAnyTag('g?ld', 'x_y')",
    "matchAnyTag('x_y')",
    "matchAllTags('PII.*', 'gold')",
    "hasDomain('finance')",
    "hasSource('erp')",
    "hasType('view')",
    "matchUrn('dm:crm:*')",
    "matchUrn('dm:%:*')",
    "hasClassification('restricted', 'public')",
    "classificationAtLeast('confidential')",
    "classificationAtLeast('internal')",
    "classificationAtLeast('public')",
    "hasPii()",
    "hasPii('email', 'iban')",
    "matchField('*')",
    "matchSubject('orders-*')",
    "inGroup('analysts') && hasDomain('sales')",
    "isUser('bob') || matchAnyTag('gold')",
    "!isOwner() && !hasDomain('finance')",
    "resource.domain == 'finance'",
    "resource.domain != 'finance'",
    "resource.type in ['table', 'view']",
    "resource.type not in ['table']",
    "'gold' in resource.tags",
    "'gold' not in resource.tags",
    "'user:alice' in resource.owners",
    "resource.classification == 'restricted' || resource.source == 'crm'",
    "resource.tags == ['gold']",
    "resource.tags != ['gold']",
    "resource.subject == ''",
    "actor.username == 'alice' && resource.kind == 'entity'",
    "resource.field == '' && resource.urn != 'dm:crm:table:a'",
    "resource.domain in 'finance'",
]


@pytest.fixture
def rows(db):
    catalog.domain_create(name="sales")
    catalog.domain_create(name="finance")
    catalog.source_create(name="crm", kind="salesforce")
    catalog.source_create(name="erp", kind="postgresql")
    specs = [
        ("a", "crm", "table", "sales", ["gold"], "public", ["user:alice"], ""),
        ("b", "crm", "view", "finance", ["PII.email", "gold"], "confidential", [], "orders-value"),
        ("c", "erp", "table", "finance", [], "restricted", ["group:analysts"], ""),
        ("d", "erp", "topic", "sales", ["x_y", "PII.phone"], "internal", ["user:bob"], "orders"),
        ("e", "erp", "table", "sales", ["gold", "silver", "xzy"], "internal", [], ""),
    ]
    items = [
        {
            "source": source,
            "type": type_,
            "source_key": key,
            "name": key,
            "domain": domain,
            "tags": tags,
            "classification": level,
            "owners": [{"principal": p, "role": "technical"} for p in owners],
            "schema_subject": subject,
        }
        for key, source, type_, domain, tags, level, owners, subject in specs
    ]
    results = catalog.entities_upsert(items=items)
    assert all(r.status == "created" for r in results), [r.as_dict() for r in results]
    with connection.cursor() as cursor:  # what governance keeps on the row: PII categories
        cursor.execute(
            "UPDATE dictamesh_catalog_entity SET pii_categories = '{email}' WHERE source_key = 'b';"
            "UPDATE dictamesh_catalog_entity SET pii_categories = '{phone}' WHERE source_key = 'd'"
        )
    resources = {}
    for key, source, type_, domain, tags, level, owners, subject in specs:
        urn = f"dm:{source}:{type_}:{key}"
        resources[urn] = Resource(
            kind="entity",
            urn=urn,
            type=type_,
            domain=domain,
            source=source,
            classification=level,
            tags=tuple(tags),
            owners=tuple(owners),
            pii={"b": ("email",), "d": ("phone",)}.get(key, ()),
            subject=subject,
        )
    return resources


@pytest.mark.parametrize("actor", [ALICE, Actor()], ids=["alice", "anonymous"])
def test_sql_selects_the_rows_that_evaluate_true(rows, actor):
    for condition in CONDITIONS:
        tree = parse(condition)
        expected = sorted(urn for urn, r in rows.items() if evaluate(tree, actor=actor, resource=r))
        closure = expressions.compile_python(tree)
        assert expected == sorted(urn for urn, r in rows.items() if closure(actor, r)), condition
        sql = to_sql(tree, actor=actor)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT e.urn FROM dictamesh_catalog_entity e WHERE {sql.over('e')} ORDER BY e.urn",  # noqa: S608
                list(sql.params),
            )
            found = [row[0] for row in cursor.fetchall()]
        assert found == expected, (condition, sql)


def test_like_patterns_escape_their_own_wildcards():
    assert expressions.like_pattern("a%b_c\\d*e?") == "a\\%b\\_c\\\\d%e_"
