from django.apps import AppConfig


class AuthConfig(AppConfig):
    """API tokens: hashed at rest, shown once, identifiable prefix, optional expiry, revocable."""

    name = "dictamesh.auth"
    label = "dictamesh_auth"
    verbose_name = "DictaMesh API tokens"
