"""Hole 3: spelling correction must not spell out the names of entities the caller cannot read."""

from __future__ import annotations

import pytest

from apps.governance.tests.helpers import gql


@pytest.mark.parametrize("mode", ["fulltext", "hybrid"])
def test_a_correction_never_names_a_hidden_entity(world, client, mode):
    typo = {"q": "salries", "mode": mode}
    root = client.get("/api/v1/catalog/search", typo, **world["root"]).json()
    assert root["corrected"] == "salaries"  # the dictionary does know the word

    alice = client.get("/api/v1/catalog/search", typo, **world["alice"]).json()
    assert alice["corrected"] != "salaries"
    assert "salaries" not in str(alice).lower()
    anonymous = client.get("/api/v1/catalog/search", typo).json()
    assert "salaries" not in str(anonymous).lower()

    data = gql(client, '{ search(query: "salries") { total corrected } }', world["alice"])
    assert data["data"]["search"]["corrected"] != "salaries"


def test_a_visible_name_is_still_corrected(world, client):
    found = client.get("/api/v1/catalog/search", {"q": "custmers"}, **world["alice"]).json()
    assert found["corrected"] == "customers" and found["total"] >= 1
