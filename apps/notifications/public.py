"""What other apps may use of notifications (import only this module)."""

from __future__ import annotations

from .services import notify

__all__ = ["attention", "notify"]


def attention() -> list[dict]:
    """Notifications that could not be delivered in the last seven days ("needs attention" on the home page)."""
    from .selectors import notifications_failed_recently

    return [
        {
            "what": "failed notifications (7 days)",
            "count": notifications_failed_recently(days=7),
            "href": "/admin/notifications/notification/?status__exact=failed",
        }
    ]
