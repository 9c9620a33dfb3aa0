from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from apps.lineage.views import lineage_view
from apps.schemas.confluent import urlpatterns as schema_registry_urls
from dictamesh.api.guard import api_not_found
from dictamesh.graphql.view import DictaMeshGraphQLView
from dictamesh.health.views import healthz, readyz
from dictamesh.observability.views import metrics_view

from .api import api
from .schema import current_schema, schema

admin.site.site_header = "DictaMesh"
admin.site.site_title = "DictaMesh admin"
admin.site.index_title = "Data stewardship"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path(
        settings.DICTAMESH_GRAPHQL_PATH.lstrip("/"),
        DictaMeshGraphQLView.as_view(schema=schema, schema_provider=current_schema, graphiql=True),
        name="graphql",
    ),
    path("api/v1/", api.urls),
    re_path(r"^api/", api_not_found),  # unknown API paths: JSON, never Django's HTML 404
    path(settings.DICTAMESH_SCHEMA_REGISTRY_PATH.strip("/") + "/", include(schema_registry_urls())),
    path("lineage/<path:node>", lineage_view, name="lineage-view"),
    path("admin/", admin.site.urls),
]
