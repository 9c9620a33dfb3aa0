from django.apps import AppConfig


class AdaptersConfig(AppConfig):
    """Source-system adapters: sync metadata into the catalog, resolve live entity data."""

    name = "apps.adapters"
    label = "adapters"
    verbose_name = "Adapters"
