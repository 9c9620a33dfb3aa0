from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Access policies, PII classification, masking, audit, consent, retention, data-subject requests."""

    name = "apps.governance"
    label = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.db.models.signals import m2m_changed, post_delete

        m2m_changed.connect(
            _membership_changed,
            sender=get_user_model().groups.through,
            dispatch_uid="dictamesh.governance.groups",
        )
        post_delete.connect(
            _membership_changed, sender=Group, dispatch_uid="dictamesh.governance.group_deleted"
        )


def _membership_changed(sender, action: str = "post_delete", **kwargs) -> None:
    """Cache invalidation, not business logic: a user's groups are an input of every decision, cached per
    policy version (governance.access): a membership change moves the version, in force at the next request."""
    if action in ("post_add", "post_remove", "post_clear", "post_delete"):
        from .services import policy_version_bump

        policy_version_bump()
