from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Multi-channel notifications with templates, preferences, rate limits, retries and digests."""

    name = "apps.notifications"
    label = "notifications"
    verbose_name = "Notifications"
