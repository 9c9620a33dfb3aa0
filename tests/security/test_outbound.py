"""Hole 7: one outbound policy for adapters, webhooks, Slack and the router — http(s) only, non-public
addresses refused (checked after DNS, when connecting) unless DICTAMESH_OUTBOUND_ALLOW allows them, paths
that cannot escape a base URL, secrets only from DICTAMESH_SECRET_*, never DictaMesh's own database, and
permanent errors not retried."""

from __future__ import annotations

import json

import pytest
import requests

from apps.adapters.tests.conftest import rest_config, sample_db, source  # noqa: F401 - fixtures
from apps.governance.tests.helpers import person
from apps.notifications import services as notifications
from apps.notifications.models import Notification, Status
from apps.notifications.tests.conftest import receiver  # noqa: F401 - a local HTTP server
from dictamesh import outbound
from dictamesh.adapters import ConfigError, create
from dictamesh.db import server_params


@pytest.fixture
def strict(settings):
    settings.DICTAMESH_OUTBOUND_ALLOW = []
    return settings


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9/x", "http://localhost:9/", "http://[::1]:9/", "http://0x7f000001/", "http://2130706433/",
     "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::ffff:127.0.0.1]/",
     "http://100.64.0.1/", "http://0.0.0.0/"],
)  # fmt: skip
def test_non_public_addresses_are_refused_when_connecting(strict, url):
    with outbound.session() as session, pytest.raises(requests.exceptions.InvalidURL, match="not a public"):
        session.get(url, timeout=2)


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "gopher://127.0.0.1:6379/_INFO", "ftp://x/", "//x/y", "http:///x"]
)
def test_only_http_urls(url):
    with pytest.raises(outbound.OutboundRefused):
        outbound.check_url(url)


def test_an_allowed_address_is_reached_and_a_port_allowance_is_exact(strict, receiver):  # noqa: F811
    strict.DICTAMESH_OUTBOUND_ALLOW = [f"127.0.0.1:{receiver.server.server_address[1]}"]
    with outbound.session() as session:
        assert session.post(receiver.url, data=b"{}", timeout=5).status_code == 200
        with pytest.raises(requests.exceptions.InvalidURL, match="not a public"):
            session.post(f"http://127.0.0.1:{receiver.server.server_address[1] + 1}/", data=b"{}", timeout=5)


def test_a_redirect_to_a_refused_address_is_refused(strict, receiver):  # noqa: F811
    strict.DICTAMESH_OUTBOUND_ALLOW = [f"127.0.0.1:{receiver.server.server_address[1]}"]
    receiver.responses.append((302, {"Location": "http://169.254.169.254/latest/meta-data/"}))
    with outbound.session() as session, pytest.raises(requests.exceptions.InvalidURL, match="not a public"):
        session.post(receiver.url, data=b"{}", timeout=5)


def test_adapters_cannot_scan_escape_or_read_the_environment(strict, db, source, monkeypatch):  # noqa: F811
    monkeypatch.setenv("DICTAMESH_SECRET_CRM_TOKEN", "s3cret")
    with create("rest", rest_config(source.url)) as adapter:
        assert adapter.health().ok is False  # the demo API is on loopback: not allowed here
    strict.DICTAMESH_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    with create("rest", rest_config(source.url)) as adapter:
        assert adapter.health().ok is True
    for bad in ("../../admin/", "http://169.254.169.254/", "//evil.example/x", "a/%2e%2e/%2e%2e/b"):
        with pytest.raises(ConfigError):
            create("rest", rest_config(source.url, health_path=bad))
    for name in ("PATH", "DATABASE_URL", "HOME"):
        config = {**rest_config(source.url), "auth": {"kind": "bearer", "token": {"env": name}}}
        with pytest.raises(ConfigError) as refused:
            create("rest", config)
        assert "DICTAMESH_SECRET_" in refused.value.problems["auth.token.env"]


def test_the_rest_api_names_the_refused_field(db, client):
    steward = person("stella", staff=True)
    config = {**rest_config("gopher://127.0.0.1:6379/"), "auth": {"kind": "bearer", "token": {"env": "PATH"}}}
    body = {"name": "evil", "kind": "rest", "domain": "sales", "config": config}
    response = client.post("/api/v1/adapters", json.dumps(body), content_type="application/json", **steward)
    assert response.status_code == 400, response.content
    fields = response.json()["fields"]
    assert any("base_url" in f for f in fields) and any("token" in f for f in fields)


def test_a_postgresql_adapter_cannot_point_at_dictamesh_itself(db, sample_db, strict):  # noqa: F811
    own = server_params()
    config = {"host": own["host"], "port": own["port"], "database": own["dbname"], "user": own["user"]}
    strict.DICTAMESH_OUTBOUND_ALLOW = ["127.0.0.0/8"]
    with create("postgresql", config) as adapter, pytest.raises(ConfigError, match="own database"):
        adapter.discover()
    with create("postgresql", sample_db) as adapter:
        assert adapter.discover()  # another database on the same server is a source like any other
    strict.DICTAMESH_OUTBOUND_ALLOW = []
    with create("postgresql", sample_db) as adapter, pytest.raises(ConfigError, match="not a public address"):
        adapter.discover()


@pytest.mark.parametrize("address", ["file:///etc/passwd", "gopher://x/", "http://[::1]:9/"])
def test_webhook_subscriptions_refuse_bad_urls_and_deliveries_fail_at_once(db, client, strict, address):
    steward = person("stella", staff=True)
    body = {"name": "hook", "event_types": ["x.*"], "channel": "webhook", "addresses": [address]}
    response = client.post("/api/v1/notifications/subscriptions", json.dumps(body), content_type="application/json",
                           **steward)  # fmt: skip
    if address.startswith("http://"):
        assert response.status_code == 201  # a form that is fine: the address is checked when connecting
    else:
        assert response.status_code == 400 and "addresses" in response.json()["fields"]
    sent = notifications.notify(
        type="x.y", channel="webhook", address=address, subject="s", dedup_key=address
    )
    notifications.deliver(notification_id=sent.pk)
    row = Notification.objects.get(pk=sent.pk)
    assert row.status == Status.FAILED and row.attempts == 1  # permanent: not retried
