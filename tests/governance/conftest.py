from __future__ import annotations

from apps.catalog.tests.conftest import clean_cache  # noqa: F401 - entity ids restart with each test's database
