"""The lineage view in a real browser: headless Chromium (Debian's ``chromium``) loads the page, dagre lays out
the graph, the SVG holds the expected nodes, and a screenshot is taken."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from apps.lineage import services
from apps.lineage.models import Node

from .conftest import PG

pytestmark = pytest.mark.django_db(transaction=True)
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium(*args: str) -> subprocess.CompletedProcess:
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI needs Debian's chromium for the lineage view test (.ci/run installs it)")
        pytest.skip("no chromium here: apt-get install chromium")
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--no-first-run", "--virtual-time-budget=15000", *args]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603


def test_the_page_draws_the_graph_in_chromium(live_server, chain, settings, tmp_path):
    settings.DICTAMESH_ALLOW_ANONYMOUS_READ = True
    services.catch_up()  # the events were accepted over HTTP; the applier may not have run yet
    urn = Node.objects.get(name="raw").entity_urn
    url = f"{live_server.url}/lineage/{urn}?depth=3"
    dom = chromium("--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert 'data-lineage-ready="true"' in html, html[:3000]
    assert 'data-rendered-nodes="6"' in html and 'data-rendered-edges="5"' in html
    assert len(re.findall(r'<a [^>]*class="lineage-node', html)) == 6
    assert "6 nodes, 5 edges" in html
    for node in (f"dataset:{PG}:raw", "job:airflow:load", "dataset:warehouse:mart"):
        assert f'data-id="{node}"' in html
    # a dataset opens its catalog entity's page; the start is the raw dataset
    assert re.search(r'href="/entities/dm:[^"]+/"[^>]*data-id="dataset:postgres://db:5432:raw"', html)
    shallow = chromium("--dump-dom", f"{live_server.url}/lineage/{urn}?depth=1").stdout
    assert 'data-rendered-nodes="3"' in shallow  # the depth control narrows the graph
    picture = tmp_path / "lineage.png"
    shot = chromium(f"--screenshot={picture}", "--window-size=1400,700", url)
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 5000
    if os.environ.get("DICTAMESH_KEEP_SCREENSHOTS"):
        shutil.copy(picture, os.environ["DICTAMESH_KEEP_SCREENSHOTS"])


def test_the_page_needs_a_sign_in_unless_reads_are_anonymous(client, chain, settings):
    settings.DICTAMESH_ALLOW_ANONYMOUS_READ = False
    response = client.get(f"/lineage/dataset:{PG}:raw")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    settings.DICTAMESH_ALLOW_ANONYMOUS_READ = True
    missing = client.get("/lineage/dataset:nowhere:none")
    assert missing.status_code == 404 and "No dataset" in missing.content.decode()
    too_deep = client.get(f"/lineage/dataset:{PG}:raw", {"depth": 99})
    assert too_deep.status_code == 400 and "depth is a whole number" in too_deep.content.decode()
    page = client.get(f"/lineage/dataset:{PG}:raw", {"depth": 2})
    assert page.status_code == 200
    assert "/static/lineage/vendor/dagre-3.1.3.min.js" in page.content.decode()
