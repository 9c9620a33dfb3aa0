"""The URLconf of the lean routes (dictamesh.api.fastroutes.with_lean_routes, ADR 0019): the API calls that
carry a token and no cookie — the REST API, GraphQL and the schema registry — served by Django with the
middleware such a call needs.

``PREFIXES``: the paths that go this way; every path under them resolves here (each prefix has its
catch-all answering the API's 404 body), since such a request never reaches config.urls.
"""

from django.conf import settings
from django.urls import include, path, re_path

from apps.schemas.confluent import urlpatterns as schema_registry_urls
from dictamesh.api.guard import api_not_found
from dictamesh.graphql.view import DictaMeshGraphQLView

from .api import api
from .schema import current_schema, schema

REGISTRY = settings.DICTAMESH_SCHEMA_REGISTRY_PATH.strip("/") + "/"
GRAPHQL = settings.DICTAMESH_GRAPHQL_PATH.strip("/")
PREFIXES = ("/" + REGISTRY, "/api/", "/" + GRAPHQL)

# the API's routes, the same in config.urls (which serves them to browsers and anonymous callers)
API_PATTERNS = [
    path(
        GRAPHQL,
        DictaMeshGraphQLView.as_view(schema=schema, schema_provider=current_schema, graphiql=True),
        name="graphql",
    ),
    path("api/v1/", api.urls),
    re_path(r"^api/", api_not_found),  # unknown API paths: JSON, never Django's HTML 404
    path(REGISTRY, include(schema_registry_urls())),
]

urlpatterns = [
    *API_PATTERNS,
    re_path(r"^", api_not_found),  # under the GraphQL prefix, a longer path: JSON, never HTML
]
