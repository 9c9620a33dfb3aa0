from django.apps import AppConfig


class LineageConfig(AppConfig):
    """OpenLineage ingestion, dataset/job/column lineage and impact analysis."""

    name = "apps.lineage"
    label = "lineage"
    verbose_name = "Lineage"
