from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    """Multi-channel notifications with templates, preferences, rate limits, retries and digests."""

    name = "apps.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from .models import Subscription, Template

        user = get_user_model()
        for signal, sender, uid in (
            (post_save, Subscription, "subscription_saved"),
            (post_delete, Subscription, "subscription_deleted"),
            (m2m_changed, Subscription.users.through, "subscription_users"),
            (m2m_changed, Subscription.groups.through, "subscription_groups"),
            (m2m_changed, user.groups.through, "user_groups"),
            (post_delete, Group, "group_deleted"),
            (post_save, user, "user_saved"),
            (post_delete, user, "user_deleted"),
        ):
            signal.connect(
                _subscriptions_changed, sender=sender, dispatch_uid=f"dictamesh.notifications.{uid}"
            )
        post_save.connect(
            _templates_changed, sender=Template, dispatch_uid="dictamesh.notifications.tpl_saved"
        )
        post_delete.connect(
            _templates_changed, sender=Template, dispatch_uid="dictamesh.notifications.tpl_del"
        )


def _subscriptions_changed(sender, action: str = "", update_fields=None, **kwargs) -> None:
    """Cache invalidation, not business logic: the consumers keep the subscriptions compiled, with their
    recipients (users, groups' members, who is active), per config version; a change moves it, in force at
    the next event. A login (only ``last_login`` saved) changes none of it."""
    if action and action not in ("post_add", "post_remove", "post_clear"):
        return
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    from dictamesh import config_version

    from .matching import SUBSCRIPTIONS

    config_version.bump(SUBSCRIPTIONS)


def _templates_changed(sender, **kwargs) -> None:
    from dictamesh import config_version

    from .matching import TEMPLATES

    config_version.bump(TEMPLATES)
