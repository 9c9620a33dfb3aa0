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


@pytest.fixture(autouse=True)
def _background_writers_stop_after_a_transactional_test(request):
    """A test that commits (``transaction=True``, live_server) may leave a writer or background thread busy
    (the lineage applier): stopped when the test ends, before its tables are flushed."""
    marker = request.node.get_closest_marker("django_db")
    committing = (marker is not None and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if not committing:
        yield
        return
    request.getfixturevalue("_django_db_helper")  # set up first: torn down (flushed) after this fixture
    yield
    from dictamesh.groupcommit import close_all

    close_all()
