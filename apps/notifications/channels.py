"""Channels: one protocol, ``send(notification) -> Result``, a backend per channel.

A result is ``sent``, ``retry`` (transient: a timeout, a refused connection, 429, 5xx, an SMTP 4xx; with
the server's Retry-After when it gave one) or ``failed`` (permanent: another 4xx, an SMTP 5xx, a refused
recipient).
"""

from __future__ import annotations

import smtplib
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
        try:
            response = requests.post(
                notification.address,
                data=body,
                headers=headers,
                timeout=settings.DICTAMESH_NOTIFY_TIMEOUT_SECONDS,
            )
        except requests.Timeout as exc:
            return Result("retry", None, f"timeout: {exc}"[:500])
        except requests.RequestException as exc:
            return Result("retry", None, f"{type(exc).__name__}: {exc}"[:500])
        code = response.status_code
        if 200 <= code < 300:
            return Result("sent", code, response.text[:200])
        if code == 429 or code >= 500:
            retry_after = response.headers.get("Retry-After")
            wait = float(retry_after) if retry_after and retry_after.isdigit() else None
            return Result("retry", code, response.text[:500], wait)
        return Result("failed", code, response.text[:500])


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
}
