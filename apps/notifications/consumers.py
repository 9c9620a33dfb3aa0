"""The notifications consumer: every event of the deployment, matched against the subscriptions."""

from __future__ import annotations

from .matching import event_received


def notify_subscribers(event) -> None:
    event_received(event)
