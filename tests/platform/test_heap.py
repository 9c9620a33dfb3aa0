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
