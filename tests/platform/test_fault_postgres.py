"""PostgreSQL gone under a running web server, then back: requests answer 503 JSON in their surface's shape
(never a hanging worker or an HTML page), liveness holds, a write refused meanwhile left nothing behind,
and the server serves again by itself once the database is back.

The server (Granian, as the web role runs it) reaches the test database through a TCP forwarder of this
test: cutting it closes the port and every connection, as a stopped or unreachable PostgreSQL would, without
stopping the PostgreSQL the other tests share.
"""

from __future__ import annotations

import os
import signal
import subprocess

import orjson
import pytest
from django.db import connection

from apps.catalog import selectors
from apps.catalog import services as catalog
from apps.catalog.inputs import entity_input
from dictamesh.auth.services import api_token_create, user_ensure
from dictamesh.devservices.ports import free_port
from tests.conftest import wait_until
from tests.platform.tcp_proxy import TcpProxy
from tests.platform.test_web_server import ROOT, entrypoint_argv, request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
URN = "dm:crm:table:orders"


@pytest.fixture
def proxy():
    s = connection.settings_dict
    forwarder = TcpProxy(s["HOST"], int(s["PORT"]))
    forwarder.start()
    yield forwarder
    forwarder.cut()


@pytest.fixture
def web(proxy):
    s = connection.settings_dict
    credentials = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - the project's own server
        entrypoint_argv(port),
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": f"postgres://{credentials}@127.0.0.1:{proxy.port}/{s['NAME']}",
            "DICTAMESH_DB_CONNECT_TIMEOUT": "2",
            "DICTAMESH_PROCESS": "web",
        },
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )

    def up():
        try:
            return request(port, "GET", "/healthz")[0] == 200
        except OSError:
            assert process.poll() is None, process.stderr.read().decode()[-3000:]
            return False

    try:
        assert wait_until(up, timeout=60), "the web server did not start"
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_postgres_gone_and_back_answers_503_json_and_recovers(web, proxy):
    catalog.domain_create(name="sales")
    catalog.source_create(name="crm", kind="postgres")
    catalog.entity_register(
        entity=entity_input(
            {"source": "crm", "type": "table", "source_key": "orders", "name": "one", "domain": "sales"}
        )
    )
    steward = user_ensure(username="stella", superuser=True)
    admin = {"Authorization": f"Bearer {api_token_create(user=steward, name='ops').clear}"}
    fresh = {"Authorization": f"Bearer {api_token_create(user=steward, name='never-used').clear}"}
    path = f"/api/v1/catalog/entities/{URN}"
    assert request(web, "GET", path, **admin)[0] == 200

    proxy.cut()

    status, body = request(web, "PATCH", path, orjson.dumps({"name": "lost"}), **admin)
    assert (status, body.get("code")) == (503, "database_unavailable"), (status, body)
    status, body = request(web, "GET", path, **fresh)  # its token is checked in a middleware, before a view
    assert (status, body.get("code")) == (503, "database_unavailable"), (status, body)
    status, body = request(
        web, "POST", "/graphql", orjson.dumps({"query": "{ entities { nodes { urn } } }"}), **fresh
    )
    assert status == 503 and body["errors"][0]["extensions"]["code"] == "database_unavailable", body
    status, body = request(web, "GET", "/schema-registry/subjects", **fresh)
    assert (status, body.get("error_code")) == (503, 50001), body  # the registry's own shape
    status, ready = request(web, "GET", "/readyz")
    assert (status, ready["status"], ready["checks"]["database"]["ok"]) == (503, "fail", False)
    assert request(web, "GET", "/healthz")[0] == 200  # alive: nothing to restart

    proxy.restore()

    assert wait_until(lambda: request(web, "GET", "/readyz")[0] == 200, timeout=30), "not ready again"
    status, body = request(web, "GET", path, **fresh)
    assert (status, body["name"]) == (200, "one")  # the refused write left nothing behind
    status, body = request(web, "PATCH", path, orjson.dumps({"name": "two"}), **admin)
    assert (status, body["name"]) == (200, "two")
    assert selectors.entity_get(urn=URN, use_cache=False)["name"] == "two"
