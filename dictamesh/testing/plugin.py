"""pytest plugin loaded before Django settings (``-p dictamesh.testing.plugin`` in pyproject).

Makes ``pytest`` alone select the test environment. Services come from `dictamesh test` (its own) or
from DATABASE_URL / REDIS_URL / KAFKA_BOOTSTRAP_SERVERS, else from a running `dictamesh dev`.
"""

import os

os.environ.setdefault("DICTAMESH_ENV", "test")
os.environ.setdefault("DICTAMESH_PROCESS", "test")
