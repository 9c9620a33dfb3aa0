"""Schemathesis over the REST API's own OpenAPI document, as a superuser and as a plain user: a bounded
number of generated requests per operation, none of which may answer 5xx or break its declared response
schema. Then GraphQL and the schema registry, fuzzed the same way with bounded inputs."""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from apps.governance.tests.helpers import make_world, person

EXAMPLES = 3  # per operation and caller: the suite's budget, not a search for every bug


def _schema():
    """The REST API's OpenAPI document as the app serves it, and the WSGI app to send the requests to."""
    import json

    from config.api import api
    from config.wsgi import application

    document = json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/"), default=str))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = application
    return loaded


@pytest.fixture
def world(db):
    """A world with restricted data, and the headers of a superuser's and a plain user's requests."""
    make_world()
    return {"root": person("root", superuser=True), "alice": person("alice")}


@pytest.fixture
def same_connection():
    """As Django's test client does: the test's connection (and its transaction) outlives each request."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


schema = _schema()


FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                suppress_health_check=list(HealthCheck))  # fmt: skip
CHECKS = [not_a_server_error, response_schema_conformance]


@schema.parametrize()
@FUZZ
def test_as_a_superuser(case, world, same_connection):
    case.call_and_validate(headers={"Authorization": world["root"]["HTTP_AUTHORIZATION"]}, checks=CHECKS)


@schema.parametrize()
@FUZZ
def test_as_a_plain_user(case, world, same_connection):
    case.call_and_validate(headers={"Authorization": world["alice"]["HTTP_AUTHORIZATION"]}, checks=CHECKS)


def _graphql_schema():
    """The GraphQL schema as the endpoint serves it (introspection), queries sent to it through WSGI."""
    from graphql.language import IntValueNode, StringValueNode
    from hypothesis import strategies as st

    from config.wsgi import application

    # graphene's GenericScalar (a JSON value) and JSONString: strings and numbers are values of both
    json_values = st.one_of(
        st.text(max_size=20).map(lambda v: StringValueNode(value=v)),
        st.integers(-(10**6), 10**6).map(lambda v: IntValueNode(value=str(v))),
    )
    for name in ("GenericScalar", "JSONString"):
        schemathesis.graphql.scalar(name, json_values)

    return schemathesis.graphql.from_wsgi("/graphql", application)


graphql_schema = _graphql_schema()


def _no_internal_error(case, response) -> None:
    assert response.status_code < 500, (case.body, response.text[:500])
    codes = [(e.get("extensions") or {}).get("code") for e in (response.json().get("errors") or [])]
    assert "internal_error" not in codes, (case.body, response.text[:500])


@graphql_schema.parametrize()
@FUZZ
def test_graphql_as_a_plain_user(case, world, same_connection):
    response = case.call(headers={"Authorization": world["alice"]["HTTP_AUTHORIZATION"]})
    _no_internal_error(case, response)


@graphql_schema.parametrize()
@FUZZ
def test_graphql_as_a_superuser(case, world, same_connection):
    response = case.call(headers={"Authorization": world["root"]["HTTP_AUTHORIZATION"]})
    _no_internal_error(case, response)


# -- the schema registry: no OpenAPI of its own; its paths with generated subjects, versions and bodies ----
def _registry_requests():
    from hypothesis import strategies as st

    text = st.text(min_size=1, max_size=30)
    version = st.one_of(st.sampled_from(["latest", "1", "-1", "0", "999999999999"]), text)
    nested = st.recursive(st.just('"int"'), lambda inner: inner.map(lambda s: "[" + s + "]"), max_leaves=80)
    schema_text = st.one_of(text, st.just('{"type": "record", "name": "r", "fields": []}'), nested)
    body = st.one_of(
        st.fixed_dictionaries(
            {"schema": schema_text},
            optional={
                "schemaType": st.one_of(st.sampled_from(["AVRO", "JSON", "PROTOBUF", "GRAPHQL"]), text),
                "references": st.lists(
                    st.fixed_dictionaries({"name": text, "subject": text, "version": st.integers()}),
                    max_size=3,
                ),
            },
        ),  # fmt: skip
        st.fixed_dictionaries({"compatibility": text}),
        st.recursive(
            st.none() | st.booleans() | st.integers() | text,
            lambda c: st.lists(c, max_size=3) | st.dictionaries(text, c, max_size=3),
            max_leaves=10,
        ),  # fmt: skip
    )
    paths = st.one_of(
        st.builds(lambda s: ("POST", f"/schema-registry/subjects/{s}/versions"), text),
        st.builds(lambda s, v: ("GET", f"/schema-registry/subjects/{s}/versions/{v}"), text, version),
        st.builds(lambda s: ("POST", f"/schema-registry/subjects/{s}"), text),
        st.builds(
            lambda s, v: ("POST", f"/schema-registry/compatibility/subjects/{s}/versions/{v}"), text, version
        ),
        st.builds(lambda s: ("PUT", f"/schema-registry/config/{s}"), text),
        st.builds(lambda i: ("GET", f"/schema-registry/schemas/ids/{i}"), st.one_of(st.integers(), text)),
    )
    return st.tuples(paths, body)


@given(request_=_registry_requests())
@settings(
    max_examples=60, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_the_registry_answers_confluent_errors_never_5xx(world, client, request_):
    from urllib.parse import quote

    (method, path), body = request_
    prefix, _, rest = path.partition("/schema-registry/")
    url = "/schema-registry/" + "/".join(quote(part, safe="") for part in rest.split("/"))
    if method == "GET":
        response = client.get(url, **world["root"])
    else:
        response = getattr(client, method.lower())(
            url, json.dumps(body), content_type="application/vnd.schemaregistry.v1+json", **world["root"]
        )
    assert response.status_code < 500, (method, url, body, response.content[:300])
    if response.status_code >= 400:
        assert "error_code" in response.json(), response.content[:300]
