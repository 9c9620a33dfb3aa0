"""Sentry error reporting, on only when SENTRY_DSN is set."""

from __future__ import annotations

_configured = False


def configure(*, dsn: str | None, environment: str, traces_sample_rate: float) -> bool:
    global _configured
    if not dsn:
        return False
    if _configured:
        return True
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    import dictamesh

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=f"dictamesh@{dictamesh.__version__}",
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=traces_sample_rate,
        send_default_pii=False,
    )
    _configured = True
    return True
