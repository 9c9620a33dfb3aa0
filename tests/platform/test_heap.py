"""The web process freezes its start-up heap (config/wsgi.py), unless DICTAMESH_GC_FREEZE is off."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROBE = "import gc, config.wsgi; print(gc.get_freeze_count())"


def _frozen(**env) -> int:
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env})  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return int(done.stdout.strip().splitlines()[-1])


def test_the_wsgi_application_freezes_its_start_up_heap():
    assert _frozen() > 100_000  # modules, settings, the GraphQL schema: never traversed by the GC again
    assert _frozen(DICTAMESH_GC_FREEZE="false") == 0


COLLECTS = """
import gc, os
import config.wsgi
from django.test import Client
client = Client()
client.get("/healthz")
collections = []
gc.callbacks.append(lambda phase, info: phase == "stop" and collections.append(info["generation"]))
kept = [{} for _ in range(1500)]  # what a large request leaves behind
client.get("/healthz")
after_large = list(collections)
client.get("/healthz")
print(gc.get_threshold()[0], after_large, collections[len(after_large):])
"""


def _collections(**env) -> str:
    done = subprocess.run([sys.executable, "-c", COLLECTS], cwd=ROOT, capture_output=True, text=True, check=False,
                          env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env})  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_a_web_process_collects_between_requests_not_during_them():
    from dictamesh.core.heap import SAFETY_THRESHOLD

    # a request begins by collecting the youngest generation when the requests before left enough in it (a
    # large one), not after a small one; its own allocations stay under the safety threshold
    assert _collections(DICTAMESH_PROCESS="web") == f"{SAFETY_THRESHOLD} [0] []"
    assert _collections(DICTAMESH_PROCESS="web", DICTAMESH_GC_BETWEEN_REQUESTS="false").startswith("700 ")
    assert _collections().startswith("700 ")  # the suite's own process (no DICTAMESH_PROCESS)
