from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Database foundations: required PostgreSQL extensions and the `dictamesh_*` naming rule."""

    name = "dictamesh.core"
    label = "dictamesh_core"
    verbose_name = "DictaMesh core"

    def ready(self) -> None:
        from django.core import checks

        from . import naming

        checks.register(naming.check_names, checks.Tags.models)
