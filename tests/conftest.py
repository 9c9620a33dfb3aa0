from __future__ import annotations

import base64

import pytest
from django.test import Client

from dictamesh.auth.services import api_token_create, user_ensure


@pytest.fixture
def user(db):
    return user_ensure(username="alice")


@pytest.fixture
def token(user):
    return api_token_create(user=user, name="test").clear


@pytest.fixture
def client() -> Client:
    return Client()


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def basic(username: str, token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{username}:{token}".encode()).decode()}
