from __future__ import annotations

from apps.catalog.tests.conftest import clean_cache  # noqa: F401 - entity ids restart with each test's database
from tests.conftest import (  # noqa: F401 - the shared fixtures these tests had under tests/
    celery_worker,
    client,
    fresh_config_versions,
    fresh_read_caches,
    fresh_registry_caches,
    token,
    user,
)
