from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """Entities of every source system, their relationships, search and history."""

    name = "apps.catalog"
    label = "catalog"
    verbose_name = "Catalog"
