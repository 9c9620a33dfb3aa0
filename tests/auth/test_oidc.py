"""Single sign-on through OpenID Connect against a local provider speaking the real protocol: discovery,
the authorization code flow with PKCE and a nonce, RS256 ID tokens checked against its JWKS, groups mapped
to DictaMesh groups — and what must not sign anyone in."""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model

from tests.fake_oidc import FakeOIDCProvider

pytestmark = pytest.mark.django_db


@pytest.fixture
def idp(settings):
    with FakeOIDCProvider() as provider:
        provider.users = {
            "olivia": {"email": "olivia@example.com", "given_name": "Olivia",
                       "groups": ["data-stewards", "finance-analysts"]},
            "admin": {"email": "intruder@example.com", "groups": ["data-stewards"]},
        }  # fmt: skip
        for name, value in provider.settings().items():
            setattr(settings, name, value)
        yield provider


def sign_in(client, idp, username: str, next_path: str = "/search"):
    """What a browser does: DictaMesh → the provider's sign-in form → back to DictaMesh's callback."""
    start = client.get("/oidc/authenticate/", {"next": next_path})
    assert start.status_code == 302 and start["Location"].startswith(f"{idp.issuer}/authorize?")
    asked = {k: v[0] for k, v in parse_qs(urlsplit(start["Location"]).query).items()}
    assert asked["code_challenge_method"] == "S256" and asked["nonce"] and asked["state"]
    assert "openid" in asked["scope"].split()
    form = requests.get(start["Location"], timeout=10)
    assert 'id="idp-username"' in form.text
    back = requests.post(
        f"{idp.issuer}/authorize", data={**asked, "username": username}, allow_redirects=False, timeout=10
    )
    if back.status_code != 302:
        return back
    callback = urlsplit(back.headers["Location"])
    return client.get(callback.path, {k: v[0] for k, v in parse_qs(callback.query).items()})


def test_a_person_signs_in_with_the_provider_and_gets_its_groups(client, idp):
    landed = sign_in(client, idp, "olivia")
    assert landed.status_code == 302 and landed["Location"] == "/search"
    user = get_user_model().objects.get(username="olivia")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert user.email == "olivia@example.com" and user.first_name == "Olivia"
    assert sorted(user.groups.values_list("name", flat=True)) == ["data-stewards", "finance-analysts"]
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert client.get("/account/tokens/").status_code == 200  # a signed-in session

    idp.users["olivia"]["groups"] = ["finance-analysts"]  # the provider took her out of the stewards
    client.logout()
    sign_in(client, idp, "olivia")
    user.refresh_from_db()
    assert list(user.groups.values_list("name", flat=True)) == ["finance-analysts"] and not user.is_staff


def test_the_provider_cannot_take_over_a_local_account(client, idp):
    get_user_model().objects.create_user("admin", password="a local password of its own")  # noqa: S106
    landed = sign_in(client, idp, "admin")
    assert landed.status_code == 302 and landed["Location"].startswith("/accounts/login/?sso=failed")
    assert "_auth_user_id" not in client.session
    page = client.get(landed["Location"]).content.decode()
    assert 'id="sso-failed"' in page


@pytest.mark.parametrize("forged", ["issuer", "audience"])
def test_an_id_token_of_another_issuer_or_for_another_client_is_refused(client, idp, forged):
    if forged == "issuer":
        idp.issuer_claim = "https://evil.example"
    else:
        idp.audience = "some-other-app"
    landed = sign_in(client, idp, "olivia")
    assert landed["Location"].startswith("/accounts/login/?sso=failed")
    assert "_auth_user_id" not in client.session
    assert not get_user_model().objects.filter(username="olivia").exists()


def test_a_code_is_good_once_and_a_stale_state_signs_nobody_in(client, idp):
    start = client.get("/oidc/authenticate/")
    asked = {k: v[0] for k, v in parse_qs(urlsplit(start["Location"]).query).items()}
    back = requests.post(
        f"{idp.issuer}/authorize", data={**asked, "username": "olivia"}, allow_redirects=False, timeout=10
    )
    callback = urlsplit(back.headers["Location"])
    params = {k: v[0] for k, v in parse_qs(callback.query).items()}
    assert client.get(callback.path, params).status_code == 302 and "_auth_user_id" in client.session
    client.logout()
    replayed = client.get(callback.path, params)  # the same code and state again
    assert "_auth_user_id" not in client.session and replayed.status_code in (302, 400)


def test_a_provider_that_does_not_answer_is_a_clear_message(client, settings):
    with socket.socket() as probe:  # a port nothing listens on any more
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.DICTAMESH_OIDC_ISSUER = f"http://127.0.0.1:{port}"
    settings.DICTAMESH_OIDC_CLIENT_ID = "dictamesh"
    answer = client.get("/oidc/authenticate/", follow=True)
    assert answer.status_code == 200
    assert "Single sign-on is unavailable" in answer.content.decode()


def test_without_a_provider_there_is_no_button_and_no_route(client, settings):
    settings.DICTAMESH_OIDC_ISSUER = ""
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/", {"code": "x", "state": "y"}).status_code == 404
    assert 'id="sso-button"' not in client.get("/accounts/login/").content.decode()


def test_the_sign_in_page_offers_the_provider(client, idp):
    page = client.get("/accounts/login/?next=/search").content.decode()
    assert 'id="sso-button"' in page and "Sign in with Fake IdP" in page and "next=/search" in page
