"""Channels: one protocol, ``send(notification) -> Result``, a backend per channel.

A result is ``sent``, ``retry`` (transient: a timeout, a refused connection, 429, 5xx, an SMTP 4xx; with
the server's Retry-After when it gave one) or ``failed`` (permanent: another 4xx, an SMTP 5xx, a refused
recipient).
"""

from __future__ import annotations

import smtplib
import threading
from dataclasses import dataclass
from typing import Protocol

import orjson
import requests
from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from dictamesh.signing import signed_headers

from .models import Channel, InboxItem, Notification

DELIVERY_HEADER = "X-DictaMesh-Delivery"  # the dedup key: receivers drop a delivery they already have


@dataclass(frozen=True)
class Result:
    outcome: str  # sent, retry, failed
    status_code: int | None = None
    detail: str = ""
    retry_after: float | None = None


class Backend(Protocol):
    def send(self, notification: Notification) -> Result: ...


class EmailBackend:
    def send(self, notification: Notification) -> Result:
        connection = get_connection(
            settings.DICTAMESH_EMAIL_BACKEND,
            host=settings.EMAIL_HOST,
            port=settings.EMAIL_PORT,
            username=settings.EMAIL_HOST_USER or None,
            password=settings.EMAIL_HOST_PASSWORD or None,
            use_tls=settings.EMAIL_USE_TLS,
            timeout=settings.DICTAMESH_NOTIFY_TIMEOUT_SECONDS,
            fail_silently=False,
        )
        message = EmailMessage(
            subject=notification.subject,
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.address],
            headers={
                "Message-ID": f"<{notification.dedup_key.replace(':', '.')}@dictamesh>",
                DELIVERY_HEADER: notification.dedup_key,
            },
            connection=connection,
        )
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            transient = all(400 <= code < 500 for code in codes)
            return Result("retry" if transient else "failed", codes[0] if codes else None, str(exc)[:500])
        except smtplib.SMTPResponseException as exc:
            return Result("retry" if 400 <= exc.smtp_code < 500 else "failed", exc.smtp_code, str(exc)[:500])
        except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
            return Result("retry", None, f"{type(exc).__name__}: {exc}"[:500])
        return Result("sent", 250, "accepted by the SMTP server")


class WebhookBackend:
    """A JSON POST, signed (HMAC-SHA256 over ``<timestamp>.<body>``; see dictamesh.signing)."""

    def send(self, notification: Notification) -> Result:
        body = orjson.dumps(
            {
                "id": notification.dedup_key,
                "type": notification.type,
                "priority": notification.priority,
                "subject": notification.subject,
                "text": notification.body,
                "data": notification.payload,
                "created_at": notification.created_at.isoformat(),
            }
        )
        headers = {"Content-Type": "application/json", DELIVERY_HEADER: notification.dedup_key}
        if settings.DICTAMESH_NOTIFY_WEBHOOK_SECRET:
            headers.update(signed_headers(settings.DICTAMESH_NOTIFY_WEBHOOK_SECRET, body))
        return _send_raw(notification.address, body, headers)


def _post(url: str, body: dict, headers: dict | None = None) -> Result:
    return _send_raw(url, orjson.dumps(body), {"Content-Type": "application/json", **(headers or {})})


_local = threading.local()


def _session() -> requests.Session:
    """One HTTP session per thread: connections to a receiver are kept alive between deliveries.

    The environment is read once, when the session is made: its CA bundle (``REQUESTS_CA_BUNDLE``,
    ``CURL_CA_BUNDLE``) and, when a proxy is set (``HTTPS_PROXY``…, with ``NO_PROXY``), requests' own
    per-request lookup. Without a proxy, requests would otherwise scan the whole environment on every
    request: a third of a delivery's cost. ``.netrc`` credentials are not used.
    """
    session = getattr(_local, "session", None)
    if session is None:
        import os
        import urllib.request

        from dictamesh.outbound import session as outbound_session

        session = outbound_session()  # every connection through the outbound policy (dictamesh.outbound)
        session.trust_env = bool(urllib.request.getproxies())
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        _local.session = session
    return session


def _send_raw(url: str, body: bytes, headers: dict) -> Result:
    """A POST and what its answer means: 2xx sent; timeouts, refused connections, 429 and 5xx retried (with
    the server's Retry-After); other 4xx failed."""
    try:
        response = _session().post(
            url, data=body, headers=headers, timeout=settings.DICTAMESH_NOTIFY_TIMEOUT_SECONDS
        )
    except requests.RequestException as exc:
        from dictamesh.outbound import permanent

        # a refused destination or a malformed URL fails at once: retrying cannot make it right
        return Result("failed" if permanent(exc) else "retry", None, f"{type(exc).__name__}: {exc}"[:500])
    code = response.status_code
    if 200 <= code < 300:
        return Result("sent", code, response.text[:200])
    if code == 429 or code >= 500:
        retry_after = response.headers.get("Retry-After")
        wait = float(retry_after) if retry_after and retry_after.isdigit() else None
        return Result("retry", code, response.text[:500], wait)
    return Result("failed", code, response.text[:500])


class SlackBackend:
    """An incoming webhook (the address is its URL), or chat.postMessage when the address is
    ``#channel`` and DICTAMESH_SLACK_BOT_TOKEN is set (Slack answers 200 with ok: false on errors)."""

    def send(self, notification: Notification) -> Result:
        text = f"*{notification.subject}*\n{notification.body}".strip()
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}}]
        if notification.address.startswith("#"):
            result = _post(
                settings.DICTAMESH_SLACK_API_URL.rstrip("/") + "/chat.postMessage",
                {"channel": notification.address, "text": notification.subject, "blocks": blocks},
                {"Authorization": f"Bearer {settings.DICTAMESH_SLACK_BOT_TOKEN}"},
            )
            if result.outcome == "sent" and '"ok":false' in result.detail.replace(" ", ""):
                transient = "ratelimited" in result.detail
                return Result("retry" if transient else "failed", result.status_code, result.detail)
            return result
        return _post(notification.address, {"text": notification.subject, "blocks": blocks})


class PagerDutyBackend:
    """Events API v2: the address is the routing key; the notification's payload may carry
    ``event_action`` (trigger, acknowledge, resolve); the dedup key is the notification's ``pd_dedup_key``
    payload field, else the subject's, so a resolve closes what a trigger opened."""

    def send(self, notification: Notification) -> Result:
        payload = notification.payload or {}
        action = payload.get("event_action", "trigger")
        body = {
            "routing_key": notification.address,
            "event_action": action,
            "dedup_key": payload.get("pd_dedup_key") or notification.subject[:255],
        }
        if action == "trigger":
            body["payload"] = {
                "summary": notification.subject[:1024],
                "source": "dictamesh",
                "severity": "critical" if notification.priority == "critical" else "warning",
                "custom_details": {"text": notification.body, "type": notification.type},
            }
        return _post(settings.DICTAMESH_PAGERDUTY_URL, body)


class SmsBackend:
    """A provider's HTTP API, Twilio-style form fields sent as JSON: To, From, Body."""

    def send(self, notification: Notification) -> Result:
        body = {
            "To": notification.address,
            "From": settings.DICTAMESH_SMS_FROM,
            "Body": notification.subject[:160],
        }
        auth = (
            {"Authorization": f"Bearer {settings.DICTAMESH_SMS_TOKEN}"}
            if settings.DICTAMESH_SMS_TOKEN
            else {}
        )
        return _post(settings.DICTAMESH_SMS_URL, body, auth)


class PushBackend:
    """FCM-style: ``{"message": {"token", "notification": {"title", "body"}, "data"}}``."""

    def send(self, notification: Notification) -> Result:
        body = {
            "message": {
                "token": notification.address,
                "notification": {"title": notification.subject, "body": notification.body[:1000]},
                "data": {"type": notification.type, "id": notification.dedup_key},
            }
        }
        auth = (
            {"Authorization": f"Bearer {settings.DICTAMESH_PUSH_TOKEN}"}
            if settings.DICTAMESH_PUSH_TOKEN
            else {}
        )
        return _post(settings.DICTAMESH_PUSH_URL, body, auth)


class InAppBackend:
    def send(self, notification: Notification) -> Result:
        if notification.user_id is None:
            return Result("failed", None, "an in-app notification needs a user")
        InboxItem.objects.get_or_create(
            notification=notification,
            defaults={
                "user_id": notification.user_id,
                "title": notification.subject,
                "body": notification.body,
            },
        )
        return Result("sent", None, "in the inbox")


BACKENDS: dict[str, Backend] = {
    Channel.EMAIL: EmailBackend(),
    Channel.WEBHOOK: WebhookBackend(),
    Channel.INAPP: InAppBackend(),
    Channel.SLACK: SlackBackend(),
    Channel.PAGERDUTY: PagerDutyBackend(),
    Channel.SMS: SmsBackend(),
    Channel.PUSH: PushBackend(),
}
