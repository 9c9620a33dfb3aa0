from __future__ import annotations

import pytest

from apps.catalog.tests.conftest import clean_cache  # noqa: F401 - entity ids restart with each test's database
from apps.governance.tests.helpers import make_world, person


@pytest.fixture
def world(db):
    """The governance world (``salaries`` restricted, owned by olga; ``customers`` with PII), alice a plain
    user and root a superuser, by their request headers."""
    make_world()
    return {"alice": person("alice"), "root": person("root", superuser=True)}
