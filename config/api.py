"""The REST API at /api/v1: each app adds its router here."""

from apps.adapters.api import router as adapters_router
from apps.catalog.api import router as catalog_router
from apps.governance.api import router as governance_router
from apps.lineage.api import router as lineage_router
from apps.notifications.api import router as notifications_router
from apps.privacy.api import router as privacy_router
from apps.schemas.api import router as schemas_router
from dictamesh import __version__
from dictamesh.api import build_api
from dictamesh.api.contract import reject_unknown_query_parameters
from dictamesh.auth.api import router as auth_router
from dictamesh.events.api import router as events_router

api = build_api(
    title="DictaMesh API",
    version=__version__,
    description="Catalog, schema registry, lineage, governance and notifications of a data mesh.",
)
# lineage first: OpenLineage producers post at high rates, their path resolves before the others are tried
api.add_router("", lineage_router)  # OpenLineage and Marquez paths: /lineage, /column-lineage, /namespaces
api.add_router("/auth", auth_router)
api.add_router("/events", events_router)
api.add_router("/catalog", catalog_router)
api.add_router("/schemas", schemas_router)
api.add_router("/governance", governance_router)
api.add_router("/notifications", notifications_router)
api.add_router("/adapters", adapters_router)
api.add_router("/privacy", privacy_router)

reject_unknown_query_parameters(api)  # after every router: what each operation declares is all it takes
