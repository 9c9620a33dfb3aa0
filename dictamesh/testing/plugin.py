"""pytest plugin loaded before Django settings (``-p dictamesh.testing.plugin`` in pyproject).

Makes ``pytest`` alone select the test environment. Services come from `dictamesh test` (its own) or
from DATABASE_URL / REDIS_URL / KAFKA_BOOTSTRAP_SERVERS, else from a running `dictamesh dev`.
"""

import os

os.environ.setdefault("DICTAMESH_ENV", "test")
os.environ.setdefault("DICTAMESH_PROCESS", "test")


import pytest  # noqa: E402 - after the environment above


@pytest.fixture(scope="session", autouse=True)
def _group_commit_writers_stop(request):
    """Writer threads (dictamesh.groupcommit) hold database connections: stop them before the test database is
    dropped (this fixture is set up after ``django_db_setup``, so it is torn down before it)."""
    if "django_db_setup" in request.fixturenames or request.config.pluginmanager.hasplugin("django"):
        request.getfixturevalue("django_db_setup")
    yield
    from dictamesh.groupcommit import close_all

    close_all()
