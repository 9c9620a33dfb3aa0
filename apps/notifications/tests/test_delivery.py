"""Delivery through real local servers: SMTP (aiosmtpd) and webhooks (an HTTP server), with retries on
transient failures, permanent failures, dead letters, idempotency, and the in-app inbox."""

from __future__ import annotations

import email
import json

import pytest

from apps.notifications import services
from apps.notifications.models import DeliveryAttempt, InboxItem, Notification
from dictamesh.auth.services import user_ensure
from dictamesh.signing import verify


def _notify(**fields):
    base = {
        "type": "schema.version_rejected",
        "subject": "orders-value v3 was rejected",
        "body": "Field amount...",
    }
    return services.notify(**{**base, **fields})


def test_email_reaches_the_smtp_server_once(db, smtp):
    row = _notify(channel="email", address="owner@example.com", dedup_key="evt-1:owner@example.com:email")
    again = _notify(channel="email", address="owner@example.com", dedup_key="evt-1:owner@example.com:email")
    assert again.pk == row.pk  # asked twice: one notification
    assert services.deliver(notification_id=row.pk) is None
    assert services.deliver(notification_id=row.pk) is None  # a retried task: not sent again
    assert len(smtp.messages) == 1
    envelope = smtp.messages[0]
    message = email.message_from_bytes(envelope.content)
    assert envelope.rcpt_tos == ["owner@example.com"]
    assert message["Subject"] == "orders-value v3 was rejected"
    assert message["X-DictaMesh-Delivery"] == "evt-1:owner@example.com:email"
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 1 and row.sent_at is not None


def test_a_transient_smtp_refusal_is_retried_with_backoff(db, smtp):
    smtp.refuse = ["451 4.3.0 try again later"]
    row = _notify(channel="email", address="owner@example.com", dedup_key="evt-2")
    wait = services.deliver(notification_id=row.pk)
    assert wait == services.backoff(1) and not smtp.messages
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=None)  # its time has come
    assert services.deliver(notification_id=row.pk) is None
    assert len(smtp.messages) == 1
    outcomes = list(DeliveryAttempt.objects.filter(notification=row).values_list("outcome", "status_code"))
    assert outcomes == [("retry", 451), ("sent", 250)]


def test_a_permanent_smtp_refusal_fails_at_once(db, smtp):
    smtp.refuse = ["550 5.1.1 no such mailbox"]
    row = _notify(channel="email", address="nobody@example.com", dedup_key="evt-3")
    assert services.deliver(notification_id=row.pk) is None
    row.refresh_from_db()
    assert row.status == "failed" and "550" in row.last_error


def test_webhooks_are_signed_and_retried_on_5xx_and_429(db, receiver, settings):
    settings.DICTAMESH_NOTIFY_WEBHOOK_SECRET = "s3cret"
    receiver.responses = [(503, {}), (429, {"Retry-After": "30"})]
    row = _notify(
        channel="webhook", address=receiver.url, dedup_key="evt-4:hook", payload={"subject": "orders-value"}
    )
    assert services.deliver(notification_id=row.pk) == services.backoff(1)
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=None)
    assert services.deliver(notification_id=row.pk) == 30  # the server's Retry-After, longer than the backoff
    Notification.objects.filter(pk=row.pk).update(next_attempt_at=None)
    assert services.deliver(notification_id=row.pk) is None
    headers, body = receiver.requests[-1]
    assert verify("s3cret", headers, body)
    assert headers["X-DictaMesh-Delivery"] == "evt-4:hook"
    sent = json.loads(body)
    assert sent["type"] == "schema.version_rejected" and sent["data"] == {"subject": "orders-value"}
    assert [r[0]["X-DictaMesh-Delivery"] for r in receiver.requests] == ["evt-4:hook"] * 3
    assert not verify("wrong", headers, body)


def test_a_4xx_fails_and_a_refused_connection_is_retried_until_a_dead_letter(db, receiver, settings):
    receiver.responses = [(404, {})]
    row = _notify(channel="webhook", address=receiver.url, dedup_key="evt-5")
    assert services.deliver(notification_id=row.pk) is None
    assert Notification.objects.get(pk=row.pk).status == "failed"
    settings.DICTAMESH_NOTIFY_MAX_ATTEMPTS = 3
    from dictamesh.devservices.ports import free_port

    closed = _notify(channel="webhook", address=f"http://127.0.0.1:{free_port()}/", dedup_key="evt-6")
    for _ in range(3):
        Notification.objects.filter(pk=closed.pk).update(next_attempt_at=None)
        services.deliver(notification_id=closed.pk)
    closed.refresh_from_db()
    assert closed.status == "failed" and closed.attempts == 3 and "ConnectionError" in closed.last_error
    assert services.retry_failed(ids=[closed.pk]) == 1
    closed.refresh_from_db()
    assert closed.status == "pending" and closed.attempts == 0


def test_in_app_inbox(db, client):
    user = user_ensure(username="alice")
    from dictamesh.auth.services import api_token_create
    from tests.conftest import bearer

    headers = bearer(api_token_create(user=user, name="t").clear)
    for n in range(3):
        row = _notify(channel="inapp", user=user, dedup_key=f"evt-{n}:alice:inapp", subject=f"note {n}")
        services.deliver(notification_id=row.pk)
    listed = client.get("/api/v1/notifications/inbox", **headers).json()
    assert [i["title"] for i in listed["items"]] == ["note 2", "note 1", "note 0"] and listed["unread"] == 3
    first = listed["items"][0]["id"]
    marked = client.post(
        "/api/v1/notifications/inbox/read",
        json.dumps({"ids": [first]}),
        content_type="application/json",
        **headers,
    )
    assert marked.json() == {"marked": 1}
    assert client.get("/api/v1/notifications/inbox/unread-count", **headers).json() == {"unread": 2}
    assert client.post(
        "/api/v1/notifications/inbox/read", "{}", content_type="application/json", **headers
    ).json() == {"marked": 2}
    other = user_ensure(username="bob")
    bob = bearer(api_token_create(user=other, name="t").clear)
    assert client.get("/api/v1/notifications/inbox", **bob).json()["items"] == []
    missing = client.post(
        "/api/v1/notifications/inbox/read",
        json.dumps({"ids": [first]}),
        content_type="application/json",
        **bob,
    )
    assert missing.status_code == 404
    assert client.get("/api/v1/notifications/inbox").status_code == 401
    assert InboxItem.objects.filter(user=user, read_at__isnull=True).count() == 0


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"channel": "pigeon", "address": "x", "dedup_key": "k"}, "channel"),
        ({"channel": "email", "dedup_key": "k"}, "address"),
        ({"channel": "inapp", "dedup_key": "k"}, "user"),
        ({"channel": "email", "address": "a@b.c", "dedup_key": ""}, "dedup_key"),
    ],
)
def test_bad_notifications_are_refused(db, fields, problem):
    from dictamesh.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        _notify(**fields)
    assert problem in caught.value.fields


def test_a_batch_is_delivered_under_one_lock_and_only_pending_ones(db, receiver):
    rows = [_notify(channel="webhook", address=receiver.url, dedup_key=f"b{i}") for i in range(3)]
    receiver.responses = [(200, {}), (503, {}), (200, {})]
    waits = services.deliver_many(notification_ids=[r.pk for r in rows])
    assert list(waits) == [rows[1].pk] and waits[rows[1].pk] == services.backoff(1)
    assert [Notification.objects.get(pk=r.pk).status for r in rows] == ["sent", "pending", "sent"]
    assert services.deliver_many(notification_ids=[r.pk for r in rows]) == {}  # done, or not its time yet
    assert len(receiver.requests) == 3 and DeliveryAttempt.objects.count() == 3


def test_the_sweep_queues_what_is_due_and_only_that(db, settings):
    from datetime import timedelta

    from django.utils import timezone

    due = _notify(channel="webhook", address="http://127.0.0.1:9/", dedup_key="sw1")
    later = _notify(channel="webhook", address="http://127.0.0.1:9/", dedup_key="sw2")
    Notification.objects.filter(pk=later.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
    done = _notify(channel="webhook", address="http://127.0.0.1:9/", dedup_key="sw3")
    Notification.objects.filter(pk=done.pk).update(status="sent")
    queued = []
    from apps.notifications import services as module

    original = module._enqueue
    module._enqueue = lambda pk, countdown=None: queued.append(pk)  # what would go to the broker
    try:
        assert services.sweep() == 1
    finally:
        module._enqueue = original
    assert queued == [due.pk]


def _request(key: str, **fields) -> dict:
    return {"type": "pii.detected", "channel": "webhook", "address": "http://127.0.0.1:9/", "subject": key,
            "dedup_key": key, **fields}  # fmt: skip


def test_many_notifications_are_written_in_one_statement_each_once(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = _notify(channel="webhook", address="http://127.0.0.1:9/", dedup_key="m0")
    with CaptureQueriesContext(connection) as queries:
        rows = services.notify_many([_request("m0"), _request("m1"), _request("m2"), _request("m1")])
    assert [r.dedup_key for r in rows] == ["m0", "m1", "m2", "m1"]
    assert rows[0].pk == before.pk and rows[1].pk == rows[3].pk and rows[1].pk != rows[2].pk
    assert Notification.objects.count() == 3
    inserts = [q for q in queries if q["sql"].startswith("INSERT INTO dictamesh_notifications_notification")]
    assert len(inserts) == 1
    # each is queued once, in the one delivery batch this transaction sends when it commits
    queued = [pk for entry in connection.run_on_commit for pk in getattr(entry[1], "dictamesh_batch", [])]
    assert queued == [before.pk, rows[1].pk, rows[2].pk]


def test_a_bad_request_in_a_batch_writes_nothing(db):
    from dictamesh.errors import ValidationError

    with pytest.raises(ValidationError) as caught:
        services.notify_many([_request("ok"), _request("bad", address="x" * 501), _request("ok2", type="")])
    assert "request 1" in caught.value.message and "address" in caught.value.fields
    assert not Notification.objects.exists()


def test_webhook_connections_are_kept_alive(db, monkeypatch):
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from apps.notifications import channels

    peers = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 - http.server's hook name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            peers.append(self.client_address)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setattr(channels._local, "session", None, raising=False)  # a new session for this test
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        rows = [_notify(channel="webhook", address=url, dedup_key=f"ka{i}") for i in range(3)]
        services.deliver_many(notification_ids=[r.pk for r in rows])
    finally:
        server.shutdown()
        server.server_close()
    assert len(peers) == 3 and len(set(peers)) == 1  # three deliveries, one connection
    assert Notification.objects.filter(status="sent").count() == 3


def test_webhooks_go_through_the_environments_proxy(db, receiver, monkeypatch):
    from apps.notifications import channels

    for name in ("NO_PROXY", "no_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", receiver.url.rsplit("/", 1)[0])  # the receiver plays the proxy
    monkeypatch.setenv("http_proxy", receiver.url.rsplit("/", 1)[0])
    monkeypatch.setattr(channels._local, "session", None, raising=False)  # sessions read the environment once
    row = _notify(channel="webhook", address="http://hooks.example.invalid/dictamesh", dedup_key="px")
    assert services.deliver(notification_id=row.pk) is None
    assert receiver.paths == ["http://hooks.example.invalid/dictamesh"]  # the absolute URL: a proxy request
    row.refresh_from_db()
    assert row.status == "sent"
    monkeypatch.setattr(channels._local, "session", None, raising=False)
