"""API tokens: hashed, shown once, prefix, expiry, revocation; Bearer and Basic; 401 JSON on every failure."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils import timezone

from dictamesh.auth.models import ApiToken
from dictamesh.auth.services import api_token_create
from tests.conftest import basic, bearer

pytestmark = pytest.mark.django_db


def _json_401(response, fragment: str = ""):
    assert response.status_code == 401, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    error = body["errors"][0] if "errors" in body else body  # GraphQL or REST shape
    code = error["extensions"]["code"] if "errors" in body else error["code"]
    assert code == "unauthenticated"
    assert fragment in error["message"]
    return body


def test_token_is_stored_hashed_with_an_identifiable_prefix(user):
    from dictamesh.auth.services import api_token_create

    issued = api_token_create(user=user, name="ci")
    assert issued.clear.startswith(f"dmt_{issued.token.key}_")
    row = ApiToken.objects.get(pk=issued.token.pk)
    secret = issued.clear.split("_", 2)[2]
    assert secret not in (row.digest, row.key)
    assert issued.clear not in str(ApiToken.objects.filter(pk=row.pk).values().first())


def test_bearer_token_authenticates(client, token):
    response = client.get("/api/v1/auth/whoami", **bearer(token))
    assert response.status_code == 200
    body = response.json()
    assert body["authenticated"] is True and body["username"] == "alice"
    assert body["token"]["prefix"] == token[: len(body["token"]["prefix"])]
    assert ApiToken.objects.get().last_used_at is not None


def test_basic_username_token_authenticates(client, token):
    response = client.get("/api/v1/auth/whoami", **basic("alice", token))
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_basic_with_another_users_name_is_refused(client, token):
    _json_401(client.get("/api/v1/auth/whoami", **basic("mallory", token)), "does not match")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer dmt_0000000000_wrongsecret",
        "Bearer not-a-dictamesh-token",
        "Bearer dmt_",
        "Basic !!!notbase64",
        "Basic " + "YWxpY2U=",  # "alice" with no colon
        "Token abc",
    ],
)
def test_bad_credentials_get_401_json_never_500(client, token, header):
    _json_401(client.get("/api/v1/auth/whoami", HTTP_AUTHORIZATION=header))
    _json_401(
        client.post(
            "/graphql",
            {"query": "{ viewer { username } }"},
            content_type="application/json",
            HTTP_AUTHORIZATION=header,
        )
    )


def test_right_key_wrong_secret_is_refused(client, token):
    key = token.split("_")[1]
    _json_401(client.get("/api/v1/auth/whoami", **bearer(f"dmt_{key}_{'x' * 43}")), "not valid")


def test_expired_token_gets_401(client, user):
    from dictamesh.auth.services import api_token_create

    issued = api_token_create(user=user, name="short", expires_days=1)
    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    _json_401(client.get("/api/v1/auth/whoami", **bearer(issued.clear)), "expired")


def test_revoked_token_gets_401(client, token):
    revoke = client.delete(f"/api/v1/auth/tokens/{ApiToken.objects.get().pk}", **bearer(token))
    assert revoke.status_code == 200 and revoke.json()["state"] == "revoked"
    _json_401(client.get("/api/v1/auth/whoami", **bearer(token)), "revoked")


def test_inactive_users_token_gets_401(client, user, token):
    user.is_active = False
    user.save()
    _json_401(client.get("/api/v1/auth/whoami", **bearer(token)), "inactive")


def test_writes_need_a_token_even_when_anonymous_reads_are_allowed(client):
    with override_settings(DICTAMESH_ALLOW_ANONYMOUS_READ=True):
        assert client.get("/api/v1/auth/whoami").json()["authenticated"] is False
        body = _json_401(client.post("/api/v1/auth/tokens", {"name": "x"}, content_type="application/json"))
        assert "Writes need" in body["message"]


def test_anonymous_reads_refused_when_disabled(client, token):
    with override_settings(DICTAMESH_ALLOW_ANONYMOUS_READ=False):
        _json_401(client.get("/api/v1/auth/whoami"))
        assert client.get("/api/v1/auth/whoami", **bearer(token)).status_code == 200
        _json_401(
            client.post("/graphql", {"query": "{ viewer { username } }"}, content_type="application/json")
        )


def test_rest_token_lifecycle(client, token):
    created = client.post(
        "/api/v1/auth/tokens",
        {"name": "deploy", "expires_days": 30},
        content_type="application/json",
        **bearer(token),
    )
    assert created.status_code == 201
    new = created.json()
    assert new["token"].startswith(new["prefix"]) and new["state"] == "active"
    assert new["expires_at"] is not None
    listed = client.get("/api/v1/auth/tokens", **bearer(new["token"])).json()
    assert {t["name"] for t in listed} == {"test", "deploy"}
    assert all("token" not in t for t in listed)  # the clear value is never shown again


def test_rest_token_bad_input_is_a_clear_error(client, token):
    response = client.post(
        "/api/v1/auth/tokens", {"name": ""}, content_type="application/json", **bearer(token)
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "name" in response.json()["fields"]
    response = client.post(
        "/api/v1/auth/tokens", {"nom": "x"}, content_type="application/json", **bearer(token)
    )
    assert response.status_code == 400  # one status for every invalid input
    assert response.json()["code"] == "invalid"
    assert response.json()["fields"] == {"name": "Field required", "nom": "unknown field"}
    response = client.post(
        "/api/v1/auth/tokens",
        {"name": "x", "expires_days": -3},
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 400 and response.json()["fields"] == {"expires_days": "positive"}
    assert ApiToken.objects.count() == 1  # nothing half-created


@override_settings(DICTAMESH_TOKEN_MAX_EXPIRY_DAYS=7)
def test_maximum_token_lifetime_is_enforced(client, token):
    response = client.post(
        "/api/v1/auth/tokens",
        {"name": "long", "expires_days": 90},
        content_type="application/json",
        **bearer(token),
    )
    assert response.status_code == 400
    response = client.post(
        "/api/v1/auth/tokens", {"name": "default"}, content_type="application/json", **bearer(token)
    )
    assert response.status_code == 201 and response.json()["expires_at"] is not None


def test_only_owner_or_superuser_revokes(client, token):
    from dictamesh.auth.services import api_token_create, user_ensure

    bob_token = api_token_create(user=user_ensure(username="bob"), name="bob")
    response = client.delete(f"/api/v1/auth/tokens/{bob_token.token.pk}", **bearer(token))
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"
    assert client.delete("/api/v1/auth/tokens/999999", **bearer(token)).json()["code"] == "not_found"


def test_create_api_token_command_prints_token_alone_on_last_line(client):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="--create-user"):  # a mistyped name never makes an account
        call_command("create_api_token", "carol", stdout=out, stderr=err)
    call_command("create_api_token", "carol", "--create-user", "--superuser", "--expires-days", "5", stdout=out,
                 stderr=err)  # fmt: skip
    clear = out.getvalue().strip().splitlines()[-1]
    assert clear.startswith("dmt_") and " " not in clear
    body = client.get("/api/v1/auth/whoami", **bearer(clear)).json()
    assert body["username"] == "carol" and body["is_superuser"] is True
    assert body["token"]["expires_at"] is not None


def test_revoke_api_token_command(client, token):
    call_command("revoke_api_token", token[:15], stdout=io.StringIO())
    _json_401(client.get("/api/v1/auth/whoami", **bearer(token)), "revoked")
    with pytest.raises(CommandError):
        call_command("revoke_api_token", "12345678", stdout=io.StringIO())


def test_graphql_tokens(client, token):
    query = "{ viewer { authenticated username } apiTokens { name prefix state } }"
    data = client.post("/graphql", {"query": query}, content_type="application/json", **bearer(token)).json()[
        "data"
    ]
    assert data["viewer"] == {"authenticated": True, "username": "alice"}
    assert data["apiTokens"][0]["state"] == "active"

    mutation = 'mutation { createApiToken(name: "gql", expiresDays: 2) { secret token { id name } } }'
    anonymous = client.post("/graphql", {"query": mutation}, content_type="application/json")
    assert anonymous.status_code == 401
    assert anonymous.json()["errors"][0]["extensions"]["code"] == "unauthenticated"

    created = client.post(
        "/graphql", {"query": mutation}, content_type="application/json", **bearer(token)
    ).json()
    secret = created["data"]["createApiToken"]["secret"]
    token_id = created["data"]["createApiToken"]["token"]["id"]
    revoke = f'mutation {{ revokeApiToken(id: "{token_id}") {{ token {{ state }} }} }}'
    result = client.post(
        "/graphql", {"query": revoke}, content_type="application/json", **bearer(secret)
    ).json()
    assert result["data"]["revokeApiToken"]["token"]["state"] == "revoked"
    _json_401(client.get("/api/v1/auth/whoami", **bearer(secret)), "revoked")


def test_graphql_domain_errors_carry_codes(client, token):
    result = client.post(
        "/graphql",
        {"query": 'mutation { revokeApiToken(id: "424242") { token { id } } }'},
        content_type="application/json",
        **bearer(token),
    ).json()
    assert result["errors"][0]["extensions"]["code"] == "not_found"
    assert "424242" in result["errors"][0]["message"]
    result = client.post(
        "/graphql", {"query": "{ apiTokens { id } }"}, content_type="application/json"
    ).json()
    assert result["errors"][0]["extensions"]["code"] == "unauthenticated"


def test_admin_lists_and_revokes_tokens(client, token):
    from dictamesh.auth.services import user_ensure

    admin = user_ensure(username="root", superuser=True)
    client.force_login(admin)
    page = client.get("/admin/dictamesh_auth/apitoken/")
    assert page.status_code == 200 and b"dmt_" in page.content
    pk = ApiToken.objects.get(user__username="alice").pk
    response = client.post(
        "/admin/dictamesh_auth/apitoken/", {"action": "revoke", "_selected_action": [pk]}, follow=True
    )
    assert response.status_code == 200
    assert ApiToken.objects.get(pk=pk).revoked_at is not None


def test_verified_tokens_are_cached_and_revocation_reaches_the_cache(
    client, token, django_assert_max_num_queries
):
    from dictamesh.auth.services import api_token_revoke

    assert client.get("/schema-registry/subjects", **bearer(token)).status_code == 200  # looked up and cached
    with django_assert_max_num_queries(1):  # the registry's own query; the token comes from the cache
        assert client.get("/schema-registry/subjects", **bearer(token)).status_code == 200
    api_token_revoke(token_id=ApiToken.objects.get().pk)
    _json_401(client.get("/api/v1/auth/whoami", **bearer(token)), "revoked")


def test_repeated_failed_authentication_is_rate_limited(db, client, settings, user, token):
    """Past the limit, an address gets 429 with Retry-After on every path that authenticates for the
    credential it keeps failing with (the token's key: its right secret too); other credentials from that
    address, and other addresses, are not affected."""
    from django.core.cache import cache

    settings.DICTAMESH_AUTH_FAILURES_PER_MINUTE = 3
    cache.delete_pattern("dictamesh:authfail:*")
    address = {"REMOTE_ADDR": "203.0.113.9"}
    key = token.split("_")[1]
    wrong = {"HTTP_AUTHORIZATION": f"Bearer dmt_{key}_" + "x" * 43, **address}
    for _ in range(3):
        assert client.get("/api/v1/catalog/entities", **wrong).status_code == 401
    limited = client.get("/api/v1/catalog/entities", **wrong)
    assert limited.status_code == 429 and limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited["Retry-After"]) <= 60
    right = client.get("/api/v1/catalog/entities", HTTP_AUTHORIZATION=f"Bearer {token}", **address)
    assert right.status_code == 429  # the secret of this key is being guessed from here
    graphql = client.post(
        "/graphql", {"query": "{ viewer { username } }"}, content_type="application/json", **wrong
    )
    assert graphql.status_code == 429 and graphql.json()["errors"][0]["extensions"]["code"] == "rate_limited"
    registry = client.get("/schema-registry/subjects", **wrong)
    assert registry.status_code == 429 and registry.json()["error_code"] == 429
    elsewhere = client.get(
        "/api/v1/catalog/entities", HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR="198.51.100.1"
    )
    assert elsewhere.status_code == 200
    other = api_token_create(user=user, name="other").clear
    same_address = client.get("/api/v1/catalog/entities", HTTP_AUTHORIZATION=f"Bearer {other}", **address)
    assert same_address.status_code == 200  # others' failures never lock out a valid token
    cache.delete_pattern("dictamesh:authfail:*")
