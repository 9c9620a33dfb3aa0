"""The one GraphQL schema at /graphql: each app contributes its Query and Mutation classes here."""

import threading

from apps.adapters.graphql import entity_fields as adapter_entity_fields
from apps.catalog.graphql import CatalogMutation, CatalogQuery
from apps.catalog.graphql.types import EntityType
from apps.governance.graphql import GovernanceMutation, GovernanceQuery
from apps.lineage.graphql import LineageMutation, LineageQuery
from apps.notifications.graphql import NotificationsMutation, NotificationsQuery
from apps.privacy.graphql import PrivacyMutation, PrivacyQuery
from apps.schemas.graphql import SchemasMutation, SchemasQuery
from apps.schemas.graphql import entity_fields as registry_entity_fields
from dictamesh.auth.graphql import AuthMutation, AuthQuery
from dictamesh.events.graphql import EventsQuery
from dictamesh.graphql.schema import add_fields, build_schema

# what higher apps show on the catalog's Entity: the catalog, the lowest layer, imports neither (ADR 0027)
add_fields(EntityType, registry_entity_fields())
add_fields(EntityType, adapter_entity_fields())


def make_schema():
    return build_schema(
        queries=[
            AuthQuery,
            EventsQuery,
            CatalogQuery,
            SchemasQuery,
            LineageQuery,
            GovernanceQuery,
            NotificationsQuery,
            PrivacyQuery,
        ],
        mutations=[
            AuthMutation,
            CatalogMutation,
            SchemasMutation,
            LineageMutation,
            GovernanceMutation,
            NotificationsMutation,
            PrivacyMutation,
        ],
    )


schema = make_schema()
_lock = threading.Lock()
_current = (0, schema)


def current_schema():
    """The schema as adapter instances are now: made again when their generation moves (typed live records)."""
    global _current
    from apps.adapters.public import schema_generation

    generation = schema_generation()
    if generation == _current[0]:
        return _current[1]
    with _lock:
        if generation != _current[0]:
            _current = (generation, make_schema())
        return _current[1]
