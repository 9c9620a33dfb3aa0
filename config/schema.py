"""The one GraphQL schema at /graphql: each app contributes its Query and Mutation classes here."""

from apps.catalog.graphql import CatalogMutation, CatalogQuery
from apps.governance.graphql import GovernanceMutation, GovernanceQuery
from apps.lineage.graphql import LineageMutation, LineageQuery
from apps.notifications.graphql import NotificationsMutation, NotificationsQuery
from apps.schemas.graphql import SchemasMutation, SchemasQuery
from dictamesh.auth.graphql import AuthMutation, AuthQuery
from dictamesh.events.graphql import EventsQuery
from dictamesh.graphql.schema import build_schema

schema = build_schema(
    queries=[
        AuthQuery,
        EventsQuery,
        CatalogQuery,
        SchemasQuery,
        LineageQuery,
        GovernanceQuery,
        NotificationsQuery,
    ],
    mutations=[
        AuthMutation,
        CatalogMutation,
        SchemasMutation,
        LineageMutation,
        GovernanceMutation,
        NotificationsMutation,
    ],
)
