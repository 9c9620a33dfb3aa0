from __future__ import annotations

from tests.conftest import bearer, client, token, user  # noqa: F401 - shared fixtures
