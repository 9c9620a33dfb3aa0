"""Redis killed under a running web server, then back: reads and writes go on (from PostgreSQL), /readyz
says degraded, nothing is stale after it returns (the invalidations it missed are sent), nothing is lost.

The server (Granian, as the web role runs it) has a Redis of its own, started by this test, so killing it
disturbs no other test. That Redis keeps a snapshot, taken just before it is killed: when it comes back it
holds the entries cached before the outage. That is the worst case (a partition, or a Redis with
persistence): a write made meanwhile must still win.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess

import orjson
import pytest
from django.db import connection

from apps.catalog import services as catalog
from apps.catalog.inputs import entity_input
from dictamesh.auth.services import api_token_create, user_ensure
from dictamesh.devservices.ports import free_port
from dictamesh.devservices.redis import EmbeddedRedis
from dictamesh.events.models import OutboxMessage
from tests.conftest import wait_until
from tests.platform.test_web_server import ROOT, entrypoint_argv, request

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
URN = "dm:crm:table:accounts"


class PrivateRedis:
    def __init__(self, data_dir):
        self.redis = EmbeddedRedis(data_dir, free_port(), persistent=True)
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(  # noqa: S603 - the project's own embedded Redis
            self.redis.argv(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        assert wait_until(self.redis.is_ready), "redis-server: not in time"

    def snapshot_and_kill(self) -> None:
        with socket.create_connection(("127.0.0.1", self.redis.port), timeout=10) as sock:
            sock.sendall(b"SAVE\r\n")
            assert sock.recv(16).startswith(b"+OK")
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def database_url() -> str:
    s = connection.settings_dict
    credentials = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{credentials}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.fixture
def redis(tmp_path):
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def web(redis):
    port = free_port()
    url = redis.redis.url(0)
    process = subprocess.Popen(  # noqa: S603 - the project's own server
        entrypoint_argv(port),
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "REDIS_URL": url,
            "CELERY_BROKER_URL": url,
            "CELERY_RESULT_BACKEND": url,
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
        assert wait_until(up, timeout=60), "the web server: not in time"
        yield port
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def missed_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM dictamesh_core_cache_missed")
        return cursor.fetchone()[0]


def test_redis_killed_and_back_loses_nothing_and_leaves_nothing_stale(web, redis):
    catalog.domain_create(name="sales")
    catalog.source_create(name="crm", kind="postgres")
    catalog.entity_register(
        entity=entity_input(
            {"source": "crm", "type": "table", "source_key": "accounts", "name": "one", "domain": "sales"}
        )
    )
    steward = user_ensure(username="stella", superuser=True)
    admin = {"Authorization": f"Bearer {api_token_create(user=steward, name='ops').clear}"}
    bob = user_ensure(username="bob")
    doomed = api_token_create(user=bob, name="doomed")
    as_doomed = {"Authorization": f"Bearer {doomed.clear}"}
    as_bob = {"Authorization": f"Bearer {api_token_create(user=bob, name='keeper').clear}"}
    path = f"/api/v1/catalog/entities/{URN}"

    for _ in range(2):  # cached in both levels, and the tokens too
        status, body = request(web, "GET", path, **admin)
        assert (status, body["name"]) == (200, "one")
        assert request(web, "GET", "/api/v1/auth/whoami", **as_doomed)[0] == 200
    status, ready = request(web, "GET", "/readyz")
    assert (status, ready["status"], ready["mode"]) == (200, "ok", {"redis": "normal"})

    redis.snapshot_and_kill()  # the snapshot holds the entity as "one" and the doomed token as valid

    status, body = request(web, "GET", path, **admin)  # from PostgreSQL
    assert (status, body["name"]) == (200, "one")
    status, body = request(web, "PATCH", path, orjson.dumps({"name": "two"}), **admin)
    assert (status, body["name"]) == (200, "two"), body
    status, body = request(web, "GET", path, **admin)
    assert (status, body["name"]) == (200, "two")
    assert OutboxMessage.objects.filter(subject=URN, type__endswith="updated").exists()  # the event too
    status, body = request(web, "DELETE", f"/api/v1/auth/tokens/{doomed.token.id}", **as_bob)
    assert status == 200, body
    assert request(web, "GET", "/api/v1/auth/whoami", **as_doomed)[0] == 401  # no cache answers for it
    assert request(web, "GET", "/api/v1/auth/whoami", **as_bob)[0] == 200
    status, subjects = request(web, "GET", "/schema-registry/subjects", **admin)
    assert (status, orjson.loads(subjects["text"])) == (200, [])  # the registry's own media type
    status, ready = request(web, "GET", "/readyz")
    assert (status, ready["status"], ready["mode"]) == (200, "degraded", {"redis": "degraded"})
    assert ready["checks"]["redis"]["ok"] is False and ready["checks"]["database"]["ok"] is True
    assert missed_rows() >= 2  # the entity's and the token's invalidations, kept for later

    redis.start()  # from the snapshot: the stale entries are back in Redis
    back = wait_until(lambda: request(web, "GET", "/readyz")[1]["mode"] == {"redis": "normal"}, timeout=30)
    assert back, "the server not back in normal mode"
    assert missed_rows() == 0
    for _ in range(2):  # the second from the caches again
        status, body = request(web, "GET", path, **admin)
        assert (status, body["name"]) == (200, "two")
        assert request(web, "GET", "/api/v1/auth/whoami", **as_doomed)[0] == 401
    status, ready = request(web, "GET", "/readyz")
    assert (status, ready["status"]) == (200, "ok")
