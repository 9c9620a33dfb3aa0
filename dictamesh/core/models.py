"""The core's one table: cache invalidations Redis did not take, sent when it is back (dictamesh.cache)."""

from __future__ import annotations

from django.db import models


class CacheMissedInvalidation(models.Model):
    id = models.BigAutoField(primary_key=True)
    cache = models.CharField(max_length=100)
    key = models.TextField()
    created_at = models.DateTimeField()

    class Meta:
        db_table = "dictamesh_core_cache_missed"
        verbose_name = "missed cache invalidation"

    def __str__(self) -> str:
        return f"{self.cache}:{self.key}"


class ConfigVersion(models.Model):
    """The version of one kind of configuration (dictamesh.config_version)."""

    name = models.CharField(max_length=100, primary_key=True)
    version = models.BigIntegerField()

    class Meta:
        db_table = "dictamesh_core_config_version"

    def __str__(self) -> str:
        return f"{self.name} v{self.version}"
