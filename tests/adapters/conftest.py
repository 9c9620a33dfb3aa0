from apps.adapters.tests.conftest import sample_db  # noqa: F401 - a fixture for these tests too
