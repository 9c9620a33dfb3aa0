"""A signed-in browser: writes with its CSRF token (REST, GraphQL), refused without it; its own API tokens on a
page; the home and search pages show only what the caller may read; GraphiQL loads from local assets."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from apps.governance.tests.helpers import urn
from dictamesh.auth.models import ApiToken
from dictamesh.auth.services import api_token_create, user_ensure

SALARIES = urn("salaries")


def browser(username: str, *, staff: bool = False) -> Client:
    user = user_ensure(username=username)
    if staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    client.get("/account/tokens/")  # a page sets the csrftoken cookie, as in a browser
    return client


def csrf(client: Client) -> dict[str, str]:
    return {"HTTP_X_CSRFTOKEN": client.cookies["csrftoken"].value}


def test_a_session_writes_with_its_csrf_token_and_is_refused_without(world):
    alice = browser("alice")
    body = json.dumps({"name": "from the browser"})
    mutation = json.dumps({"query": 'mutation { createApiToken(name: "gql") { secret } }'})
    refused = alice.post("/graphql", mutation, content_type="application/json")
    assert refused.status_code == 403 and "X-CSRFToken" in refused.json()["errors"][0]["message"]
    done = alice.post("/graphql", mutation, content_type="application/json", **csrf(alice))
    assert done.status_code == 200 and done.json()["data"]["createApiToken"]["secret"].startswith("dmt_")
    rest = alice.post("/api/v1/auth/tokens", body, content_type="application/json")
    assert rest.status_code == 403 and rest.json()["code"] == "permission_denied"
    rest = alice.post("/api/v1/auth/tokens", body, content_type="application/json", **csrf(alice))
    assert rest.status_code == 201 and rest.json()["token"].startswith("dmt_")
    anonymous = Client(enforce_csrf_checks=True).post("/graphql", mutation, content_type="application/json")
    assert anonymous.status_code == 401  # no session, no token: nothing to check a CSRF token against


def test_the_tokens_page_creates_lists_and_revokes_only_one_s_own(world):
    alice = browser("alice")
    page = alice.post("/account/tokens/", {"name": "laptop", **_form(alice)})
    assert page.status_code == 200
    secret = re.search(r'id="token-secret">(dmt_[^<]+)<', page.content.decode()).group(1)
    assert Client().get("/api/v1/auth/whoami", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    mine = ApiToken.objects.get(user__username="alice", name="laptop")
    olga_token = api_token_create(user=user_ensure(username="olga"), name="hers").token
    assert "hers" not in alice.get("/account/tokens/").content.decode()  # another's tokens are not listed
    other = alice.post("/account/tokens/", {"action": "revoke", "token": olga_token.pk, **_form(alice)})
    assert other.status_code == 403
    olga_token.refresh_from_db()
    assert olga_token.revoked_at is None
    alice.post("/account/tokens/", {"action": "revoke", "token": mine.pk, **_form(alice)})
    mine.refresh_from_db()
    assert mine.revoked_at is not None
    assert alice.post("/account/tokens/", {"name": ""}).status_code == 403  # the form without its CSRF token
    assert Client().get("/account/tokens/").status_code == 302  # signed out: to the sign-in page


def _form(client: Client) -> dict[str, str]:
    return {"csrfmiddlewaretoken": client.cookies["csrftoken"].value}


def test_home_and_search_show_only_what_the_caller_may_read(world):
    alice, stella = browser("alice"), browser("stella", staff=True)
    home = alice.get("/").content.decode()
    assert "Recently changed" in home and "salaries" not in home.lower()
    assert 'id="attention"' not in home  # counts across everyone's work: stewards only
    assert "PII suggestions to confirm" in stella.get("/").content.decode()
    found = alice.get("/search", {"q": "salaries"}).content.decode()
    assert SALARIES not in found
    assert "Nothing found" in alice.get("/search", {"q": "zzzzqqq", "mode": "semantic"}).content.decode()
    customers = alice.get("/search", {"q": "customers"}).content.decode()
    assert urn("customers") in customers and 'data-facet="domain"' in customers


@pytest.mark.django_db
def test_graphiql_loads_its_assets_from_dictamesh_not_a_cdn():
    page = Client().get("/graphql", HTTP_ACCEPT="text/html").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("graphiql.min.js" in s for s in sources)
    assert all(s.startswith("/") for s in sources), sources  # nothing from another host
