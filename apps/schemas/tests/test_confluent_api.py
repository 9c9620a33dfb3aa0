"""The Confluent REST API through HTTP: bodies, status codes and Confluent error codes."""

from __future__ import annotations

import json

import pytest

from apps.schemas.tests.conftest import field, record
from dictamesh.events.models import EventLog
from tests.conftest import basic

pytestmark = pytest.mark.django_db
BASE = "/schema-registry"
CT = "application/vnd.schemaregistry.v1+json"
V1 = record("Order", field("id", "long"))
V2 = record("Order", field("id", "long"), field("note", "string", default=""))
V3_BAD = record("Order", field("id", "long"), field("total", "double"))


@pytest.fixture
def api(client, user, token):
    auth = basic(user.username, token)

    def call(method: str, path: str, body=None, **extra):
        kwargs = {**auth, **extra}
        if body is not None:
            kwargs["data"] = body if isinstance(body, str | bytes) else json.dumps(body)
            kwargs["content_type"] = kwargs.pop("content_type", CT)
        response = getattr(client, method.lower())(BASE + path, **kwargs)
        return response.status_code, (json.loads(response.content) if response.content else None)

    return call


def test_register_read_and_lookup(api):
    status, body = api("POST", "/subjects/orders-value/versions", {"schema": V1})
    assert status == 200 and body["id"] == 1 and body["version"] == 1
    assert api("POST", "/subjects/orders-value/versions", {"schema": V1})[1]["version"] == 1  # idempotent
    status, body = api(
        "POST", "/subjects/orders-value/versions", {"schema": V2, "metadata": {"properties": {"owner": "x"}}}
    )
    assert (status, body["id"], body["version"]) == (200, 2, 2)
    assert api("GET", "/subjects")[1] == ["orders-value"]
    assert api("GET", "/subjects/orders-value/versions")[1] == [1, 2]
    status, latest = api("GET", "/subjects/orders-value/versions/latest")
    assert (
        latest["version"] == 2 and latest["id"] == 2 and latest["metadata"] == {"properties": {"owner": "x"}}
    )
    assert "schemaType" not in latest  # Avro is implied, as Confluent answers
    assert api("GET", "/subjects/orders-value/versions/-1")[1]["version"] == 2
    assert api("GET", "/schemas/ids/1")[1]["schema"] == json.dumps(json.loads(V1), separators=(",", ":"))
    assert api("GET", "/schemas/ids/1/versions")[1] == [{"subject": "orders-value", "version": 1}]
    assert api("GET", "/schemas/types")[1] == ["AVRO", "JSON", "PROTOBUF"]
    # the same schema under another subject keeps its global id
    assert api("POST", "/subjects/archive-value/versions", {"schema": V1})[1]["id"] == 1
    assert api("GET", "/schemas/ids/1/subjects")[1] == ["archive-value", "orders-value"]
    status, found = api("POST", "/subjects/orders-value", {"schema": V1})
    assert (status, found["version"], found["id"]) == (200, 1, 1)
    assert api("POST", "/subjects/orders-value", {"schema": V3_BAD}) == (
        404,
        {"error_code": 40403, "message": "Schema not found"},
    )
    assert api("GET", "/subjects/orders-value/versions/1/schema")[1] == json.loads(V1)
    assert api("GET", "/schemas/ids/1?fetchMaxId=true")[1]["maxId"] == 2


def test_compatibility_rejection_is_409_with_messages_and_an_event(api):
    api("POST", "/subjects/orders-value/versions", {"schema": V1})
    status, body = api("POST", "/subjects/orders-value/versions", {"schema": V3_BAD})
    assert status == 409 and body["error_code"] == 409
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in body["message"] and "'total'" in body["message"]
    assert api("GET", "/subjects/orders-value/versions")[1] == [1]  # nothing written
    rejected = EventLog.objects.get(type="dictamesh.schemas.subject.compatibility_rejected")
    assert rejected.subject == "orders-value" and rejected.data["compatibility"] == "BACKWARD"
    assert EventLog.objects.filter(type="dictamesh.schemas.subject.version_registered").count() == 1

    status, body = api(
        "POST", "/compatibility/subjects/orders-value/versions/latest?verbose=True", {"schema": V3_BAD}
    )
    assert status == 200 and body["is_compatible"] is False
    assert any("READER_FIELD_MISSING_DEFAULT_VALUE" in m for m in body["messages"])
    assert "{compatibility: 'BACKWARD'}" in body["messages"]
    assert api("POST", "/compatibility/subjects/orders-value/versions/1", {"schema": V2})[1] == {
        "is_compatible": True
    }
    assert api("POST", "/compatibility/subjects/new-subject/versions/latest", {"schema": V2})[1] == {
        "is_compatible": True
    }

    assert api("PUT", "/config/orders-value", {"compatibility": "NONE"}) == (200, {"compatibility": "NONE"})
    assert api("POST", "/subjects/orders-value/versions", {"schema": V3_BAD})[1]["version"] == 2


def test_config_and_mode(api):
    assert api("GET", "/config") == (200, {"compatibilityLevel": "BACKWARD"})
    assert api("GET", "/config/orders-value")[1]["error_code"] == 40408
    assert api("GET", "/config/orders-value?defaultToGlobal=true")[1] == {"compatibilityLevel": "BACKWARD"}
    assert api("PUT", "/config", {"compatibility": "full_transitive"}) == (
        200,
        {"compatibility": "FULL_TRANSITIVE"},
    )
    assert api("GET", "/config")[1] == {"compatibilityLevel": "FULL_TRANSITIVE"}
    assert api("PUT", "/config/orders-value", {"compatibility": "FORWARD", "normalize": True})[1] == {
        "compatibility": "FORWARD",
        "normalize": True,
    }
    assert api("GET", "/config/orders-value")[1] == {"compatibilityLevel": "FORWARD", "normalize": True}
    assert api("DELETE", "/config/orders-value")[1]["compatibilityLevel"] == "FORWARD"
    assert api("GET", "/config/orders-value")[1]["error_code"] == 40408
    assert api("PUT", "/config", {"compatibility": "SIDEWAYS"}) == (
        422,
        {
            "error_code": 42203,
            "message": "Invalid compatibility level. Valid values are BACKWARD, BACKWARD_TRANSITIVE, FORWARD, "
            "FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE, NONE",
        },
    )
    assert api("DELETE", "/config")[1] == {"compatibilityLevel": "FULL_TRANSITIVE"}
    assert api("GET", "/config")[1] == {"compatibilityLevel": "BACKWARD"}

    assert api("GET", "/mode") == (200, {"mode": "READWRITE"})
    assert api("PUT", "/mode/orders-value", {"mode": "READONLY"}) == (200, {"mode": "READONLY"})
    status, body = api("POST", "/subjects/orders-value/versions", {"schema": V1})
    assert (status, body["error_code"]) == (422, 42205)
    assert api("PUT", "/mode", {"mode": "SOMETIMES"})[1]["error_code"] == 42204
    assert api("DELETE", "/mode/orders-value") == (200, {"mode": "READONLY"})
    assert api("POST", "/subjects/orders-value/versions", {"schema": V1})[0] == 200
    assert api("PUT", "/mode", {"mode": "IMPORT"})[1]["error_code"] == 42205  # not empty
    assert api("PUT", "/mode?force=true", {"mode": "IMPORT"}) == (200, {"mode": "IMPORT"})


def test_import_mode_keeps_given_ids_and_versions(api):
    api("PUT", "/mode", {"mode": "IMPORT"})
    status, body = api("POST", "/subjects/legacy-value/versions", {"schema": V1, "id": 1042, "version": 7})
    assert (status, body["id"], body["version"]) == (200, 1042, 7)
    assert api("GET", "/schemas/ids/1042")[0] == 200
    assert api("POST", "/subjects/other-value/versions", {"schema": V2})[1]["error_code"] == 42205  # no id
    api("PUT", "/mode", {"mode": "READWRITE"})
    assert api("POST", "/subjects/legacy-value/versions", {"schema": V2})[1]["version"] == 8
    assert api("POST", "/subjects/x-value/versions", {"schema": V1, "id": 5})[1]["error_code"] == 42205


def test_soft_and_permanent_deletes(api):
    api("POST", "/subjects/orders-value/versions", {"schema": V1})
    api("POST", "/subjects/orders-value/versions", {"schema": V2})
    assert api("DELETE", "/subjects/orders-value/versions/1?permanent=true")[1]["error_code"] == 40407
    assert api("DELETE", "/subjects/orders-value/versions/1") == (200, 1)
    assert api("DELETE", "/subjects/orders-value/versions/1")[1]["error_code"] == 40406
    assert api("GET", "/subjects/orders-value/versions")[1] == [2]
    assert api("GET", "/subjects/orders-value/versions?deleted=true")[1] == [1, 2]
    assert api("GET", "/subjects/orders-value/versions/1")[1]["error_code"] == 40402
    assert api("GET", "/subjects/orders-value/versions/1?deleted=true")[1]["version"] == 1
    assert api("DELETE", "/subjects/orders-value/versions/1?permanent=true") == (200, 1)
    assert api("GET", "/schemas/ids/1")[1]["error_code"] == 40403  # no version uses it any more

    assert api("DELETE", "/subjects/orders-value?permanent=true")[1]["error_code"] == 40405
    assert api("DELETE", "/subjects/orders-value") == (200, [2])
    assert api("DELETE", "/subjects/orders-value")[1]["error_code"] == 40404
    assert api("GET", "/subjects")[1] == []
    assert api("GET", "/subjects?deleted=true")[1] == ["orders-value"]
    assert api("GET", "/subjects/orders-value/versions")[1]["error_code"] == 40401
    assert api("DELETE", "/subjects/orders-value?permanent=True") == (200, [2])
    assert api("GET", "/subjects?deleted=true")[1] == []
    # a new registration after a delete does not reuse version numbers of the soft-deleted past
    api("POST", "/subjects/again-value/versions", {"schema": V1})
    api("DELETE", "/subjects/again-value")
    assert api("POST", "/subjects/again-value/versions", {"schema": V1})[1]["version"] == 2


def test_references(api):
    address = json.dumps(
        {"type": "record", "name": "Address", "namespace": "com.shop", "fields": [field("city", "string")]}
    )
    api("POST", "/subjects/address/versions", {"schema": address})
    customer = record("Customer", field("home", "com.shop.Address"), namespace="com.shop")
    refs = [{"name": "com.shop.Address", "subject": "address", "version": 1}]
    status, body = api("POST", "/subjects/customer-value/versions", {"schema": customer, "references": refs})
    assert status == 200 and api("GET", "/subjects/customer-value/versions/1")[1]["references"] == refs
    assert api("GET", "/subjects/address/versions/1/referencedby")[1] == [body["id"]]
    assert api("DELETE", "/subjects/address/versions/1")[1]["error_code"] == 42206
    missing = [{"name": "com.shop.Address", "subject": "nowhere", "version": 1}]
    status, body = api("POST", "/subjects/c2-value/versions", {"schema": customer, "references": missing})
    assert (status, body["error_code"]) == (422, 42201) and "nowhere" in body["message"]
    status, body = api("POST", "/subjects/c3-value/versions", {"schema": customer})
    assert (status, body["error_code"]) == (422, 42201) and "com.shop.Address" in body["message"]


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("POST", "/subjects/s/versions", {"schema": "{nope"}, 422, 42201),
        ("POST", "/subjects/s/versions", {"schema": ""}, 422, 42201),
        ("POST", "/subjects/s/versions", {"schema": '"int"', "schemaType": "XML"}, 422, 42201),
        ("POST", "/subjects/s/versions", "not json", 400, 400),
        ("GET", "/subjects/none/versions", None, 404, 40401),
        ("GET", "/subjects/none/versions/1", None, 404, 40401),
        ("GET", "/schemas/ids/999", None, 404, 40403),
        ("GET", "/schemas/ids/abc", None, 404, 40403),
        ("GET", "/subjects/s/versions/zero", None, 422, 42202),
        ("PUT", "/config/s", {"compatibility": 3}, 422, 42203),
        ("GET", "/mode/s", None, 404, 40409),
    ],
)
def test_bad_input_gets_confluent_errors(api, method, path, body, status, code):
    if path.startswith("/subjects/s/versions/zero"):
        api("POST", "/subjects/s/versions", {"schema": V1})
    got_status, got = api(method, path, body)
    assert (got_status, got["error_code"]) == (status, code)
    assert set(got) == {"error_code", "message"} and got["message"]


def test_schema_size_limit(api, settings):
    settings.DICTAMESH_SCHEMAS_MAX_BYTES = 1024
    big = record("Big", *[field(f"f{i:04d}", "string") for i in range(100)])
    assert api("POST", "/subjects/big/versions", {"schema": big})[1]["error_code"] == 42209


def test_writes_need_a_token_and_any_json_content_type_works(client, user, token, settings):
    response = client.post(
        BASE + "/subjects/s/versions", json.dumps({"schema": V1}), content_type="application/json"
    )
    assert response.status_code == 401 and json.loads(response.content)["error_code"] == 401
    response = client.get(BASE + "/subjects", HTTP_AUTHORIZATION="Bearer dmt_bad_token")
    assert response.status_code == 401 and set(json.loads(response.content)) == {"error_code", "message"}
    for content_type in (
        "application/octet-stream",
        "application/vnd.schemaregistry+json",
        "application/json",
    ):
        response = client.post(
            BASE + "/subjects/s/versions",
            json.dumps({"schema": V1}),
            content_type=content_type,
            **basic(user.username, token),
        )
        assert response.status_code == 200 and response["Content-Type"] == CT
    settings.DICTAMESH_ALLOW_ANONYMOUS_READ = False
    assert client.get(BASE + "/subjects").status_code == 401
    assert client.get(BASE + "/subjects", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_protobuf_text_in_descriptor_out(api):
    import base64

    from google.protobuf import descriptor_pb2

    proto = 'syntax = "proto3";\npackage shop.v1;\nmessage Ping { string id = 1; int64 at = 2; }\n'
    status, body = api("POST", "/subjects/pings-value/versions", {"schema": proto, "schemaType": "PROTOBUF"})
    assert status == 200
    stored = api("GET", f"/schemas/ids/{body['id']}")[1]
    assert stored["schemaType"] == "PROTOBUF" and "message Ping {" in stored["schema"]
    serialized = api("GET", f"/schemas/ids/{body['id']}?format=serialized")[1]["schema"]
    descriptor = descriptor_pb2.FileDescriptorProto.FromString(base64.b64decode(serialized))
    assert descriptor.package == "shop.v1" and [f.name for f in descriptor.message_type[0].field] == [
        "id",
        "at",
    ]
    latest = api("GET", "/subjects/pings-value/versions/latest?format=serialized")[1]["schema"]
    assert latest == serialized
    status, body = api("POST", "/subjects/bad/versions", {"schema": "message {", "schemaType": "PROTOBUF"})
    assert (status, body["error_code"]) == (422, 42201) and "line 1" in body["message"]


def test_ids_are_never_reused_after_a_permanent_delete(api):
    api("POST", "/subjects/a/versions", {"schema": V1})
    second = api("POST", "/subjects/b/versions", {"schema": V2})[1]["id"]
    assert api("GET", f"/schemas/ids/{second}")[0] == 200  # read, and cached
    api("DELETE", "/subjects/b")
    api("DELETE", "/subjects/b?permanent=true")
    assert api("GET", f"/schemas/ids/{second}")[1]["error_code"] == 40403  # the cache forgot it too
    third = api("POST", "/subjects/c/versions", {"schema": V3_BAD})[1]["id"]
    assert third == second + 1


def test_a_subject_named_like_a_cache_key_has_its_own_settings(api):
    assert api("PUT", "/config/global", {"compatibility": "NONE"})[0] == 200
    assert api("GET", "/config")[1] == {"compatibilityLevel": "BACKWARD"}
    assert api("GET", "/config/global")[1] == {"compatibilityLevel": "NONE"}


def test_listings_filters_guids_contexts_and_normalize(api):
    api("POST", "/subjects/orders-value/versions", {"schema": V1})
    api("POST", "/subjects/orders-value/versions", {"schema": V2})
    api("POST", "/subjects/payments-value/versions", {"schema": V1})
    api("DELETE", "/subjects/orders-value/versions/1")
    assert api("GET", "/subjects?subjectPrefix=pay")[1] == ["payments-value"]
    assert api("GET", "/subjects/orders-value/versions?deletedOnly=true")[1] == [1]
    latest = api("GET", "/schemas?latestOnly=true")[1]
    assert [(s["subject"], s["version"]) for s in latest] == [("orders-value", 2), ("payments-value", 1)]
    assert [s["subject"] for s in api("GET", "/schemas?subjectPrefix=ord&deleted=true")[1]] == [
        "orders-value"
    ] * 2
    guid = api("GET", "/schemas/ids/1")[1]["guid"]
    assert api("GET", f"/schemas/guids/{guid}")[1]["id"] == 1
    assert api("GET", "/schemas/guids/not-a-guid")[1]["error_code"] == 40403
    assert api("GET", "/contexts")[1] == ["."]
    assert api("GET", "/")[1] == {}

    # normalize: the same schema written with its keys in another order is one schema
    reordered = json.dumps({"fields": [{"type": "long", "name": "id"}], "name": "Order", "type": "record"})
    first = api("POST", "/subjects/norm-value/versions?normalize=true", {"schema": V1})[1]
    again = api("POST", "/subjects/norm-value/versions?normalize=true", {"schema": reordered})[1]
    assert (again["id"], again["version"]) == (first["id"], first["version"])
    assert api("POST", "/subjects/norm-value?normalize=true", {"schema": reordered})[1]["version"] == 1
    assert api("POST", "/subjects/norm-value", {"schema": reordered})[1]["error_code"] == 40403
