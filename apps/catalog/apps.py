from django.apps import AppConfig


class CatalogConfig(AppConfig):
    """Entities of every source system, their relationships, search and history."""

    name = "apps.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .caching import drop_schema_owners_of
        from .models import Domain, SourceSystem

        def domain_changed(sender, instance, created=False, **kwargs) -> None:
            if not created:  # a new domain has no entities yet
                drop_schema_owners_of(domain_id=instance.pk)

        def source_changed(sender, instance, created=False, **kwargs) -> None:
            if not created:
                drop_schema_owners_of(source_id=instance.pk)

        for signal in (post_save, post_delete):
            signal.connect(
                domain_changed, sender=Domain, weak=False, dispatch_uid="catalog-schema-owners-domain"
            )
            signal.connect(
                source_changed, sender=SourceSystem, weak=False, dispatch_uid="catalog-schema-owners-source"
            )
