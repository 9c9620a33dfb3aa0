"""Hole 10: a verified token is cached with its user; deactivating or demoting the user takes effect at the
next request, as revocation does."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from apps.governance.tests.helpers import person


def test_demoting_and_deactivating_a_user_take_effect_at_once(db, client):
    headers = person("boss", superuser=True)
    policies = "/api/v1/governance/policies"
    assert client.get(policies, **headers).status_code == 200  # verified, and now cached
    user = get_user_model().objects.get(username="boss")
    user.is_superuser = user.is_staff = False
    user.save()
    assert client.get(policies, **headers).status_code == 403
    user.is_active = False
    user.save()
    response = client.get(policies, **headers)
    assert response.status_code == 401 and "inactive" in response.json()["message"]
