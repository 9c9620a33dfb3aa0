from django.contrib import admin
from django.urls import path

from apps.lineage.views import lineage_view
from dictamesh.health.views import healthz, readyz
from dictamesh.observability.views import metrics_view

from .lean_urls import API_PATTERNS

admin.site.site_header = "DictaMesh"
admin.site.site_title = "DictaMesh admin"
admin.site.index_title = "Data stewardship"

handler500 = "dictamesh.api.guard.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    *API_PATTERNS,  # the GraphQL endpoint, the REST API and the schema registry (config/lean_urls.py)
    path("lineage/<path:node>", lineage_view, name="lineage-view"),
    path("admin/", admin.site.urls),
]
