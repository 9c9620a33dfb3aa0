from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Access policies, PII classification, masking, audit, consent, retention, data-subject requests."""

    name = "apps.governance"
    label = "governance"
    verbose_name = "Governance"
