"""The notifications consumer: every event of the deployment, matched against the subscriptions."""

from __future__ import annotations

from .matching import event_received, events_received


def notify_subscribers(event) -> None:
    event_received(event)


def notify_subscribers_batch(events: list) -> None:
    """A batch of events at once: their notifications are written in one statement."""
    events_received(events)
