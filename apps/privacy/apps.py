from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Data-subject requests (GDPR, CCPA): discovery across every source, export, erasure, deadlines, proof."""

    name = "apps.privacy"
    label = "privacy"
    verbose_name = "Data-subject requests"
