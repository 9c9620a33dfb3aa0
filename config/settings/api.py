"""REST (django-ninja) and GraphQL (graphene-django) surface."""

from config.env import ENV

DICTAMESH_GRAPHQL_PATH = "/graphql"
GRAPHENE = {
    "SCHEMA": "config.schema.schema",
    "ATOMIC_MUTATIONS": True,
    "GRAPHIQL_HEADER_EDITOR_ENABLED": True,
}
DICTAMESH_GC_FREEZE = ENV.bool(
    "DICTAMESH_GC_FREEZE",
    default=True,
    doc="Freeze the web process's start-up heap (gc.freeze): no full-heap GC pauses under load.",
)
DICTAMESH_GRAPHQL_MAX_DEPTH = ENV.int(
    "DICTAMESH_GRAPHQL_MAX_DEPTH", default=12, minimum=1, doc="Deepest selection a GraphQL query may nest."
)
DICTAMESH_GRAPHQL_MAX_ALIASES = ENV.int(
    "DICTAMESH_GRAPHQL_MAX_ALIASES", default=30, minimum=1, doc="Most aliases one GraphQL document may use."
)
NINJA_PAGINATION_MAX_LIMIT = 500
