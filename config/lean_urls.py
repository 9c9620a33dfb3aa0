"""The URLconf of the lean routes (dictamesh.api.fastroutes.with_lean_routes, ADR 0019): the API calls that
carry a token and no cookie, served by Django with the middleware such a call needs.

``PREFIXES``: the paths that go this way; every path under them must resolve here (a catch-all answers the
API's 404 body), since such a request never reaches config.urls.
"""

from django.conf import settings
from django.urls import include, path

from apps.schemas.confluent import urlpatterns as schema_registry_urls

REGISTRY = settings.DICTAMESH_SCHEMA_REGISTRY_PATH.strip("/") + "/"
PREFIXES = ("/" + REGISTRY,)

urlpatterns = [
    path(REGISTRY, include(schema_registry_urls())),
]
