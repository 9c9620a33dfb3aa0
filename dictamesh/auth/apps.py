from django.apps import AppConfig


class AuthConfig(AppConfig):
    """API tokens: hashed at rest, shown once, identifiable prefix, optional expiry, revocable."""

    name = "dictamesh.auth"
    label = "dictamesh_auth"
    verbose_name = "DictaMesh API tokens"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import post_save

        post_save.connect(_user_saved, sender=get_user_model(), dispatch_uid="dictamesh.auth.user_saved")


def _user_saved(sender, instance, created: bool, **kwargs) -> None:
    """Cache invalidation, not business logic: a saved user's rights are read afresh at the next request."""
    if not created:
        from .services import user_tokens_forget

        user_tokens_forget(user_id=instance.pk)
