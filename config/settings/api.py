"""REST (django-ninja) and GraphQL (graphene-django) surface."""

import os

from config.env import ENV

DICTAMESH_GRAPHQL_PATH = "/graphql"
GRAPHENE = {
    "SCHEMA": "config.schema.schema",
    "ATOMIC_MUTATIONS": True,
    "GRAPHIQL_HEADER_EDITOR_ENABLED": True,
    "MIDDLEWARE": ["dictamesh.graphql.limits.NullArgumentsMiddleware"],
}
DICTAMESH_GC_FREEZE = ENV.bool(
    "DICTAMESH_GC_FREEZE",
    default=True,
    doc="Freeze the web process's start-up heap (gc.freeze): no full-heap GC pauses under load.",
)
DICTAMESH_GC_BETWEEN_REQUESTS = ENV.bool(
    "DICTAMESH_GC_BETWEEN_REQUESTS",
    # web servers (and the in-process benchmarks that stand for one); not the suite's process, which imports
    # config.wsgi but whose heap is not a web worker's
    default=os.environ.get("DICTAMESH_PROCESS") in ("web", "bench"),
    doc="With DICTAMESH_GC_FREEZE: run the cyclic GC between requests instead of during them.",
)
DICTAMESH_GRAPHQL_MAX_COST = ENV.int(
    "DICTAMESH_GRAPHQL_MAX_COST",
    default=50_000,
    minimum=1,
    doc="Most a GraphQL operation may cost: each field 1 (or its cost below), times the items asked for.",
)
DICTAMESH_GRAPHQL_MAX_REPRESENTATIONS = ENV.int(
    "DICTAMESH_GRAPHQL_MAX_REPRESENTATIONS",
    default=200,
    minimum=1,
    doc="Most representations one GraphQL operation may hand Apollo Federation's _entities (each is a lookup).",
)
DICTAMESH_GRAPHQL_DEFAULT_LIST_SIZE = ENV.int(
    "DICTAMESH_GRAPHQL_DEFAULT_LIST_SIZE",
    default=10,
    minimum=1,
    doc="Items a list field without first/limit counts for in a query's cost.",
)
# fields that cost more than 1: a live record is a call to a source system
DICTAMESH_GRAPHQL_FIELD_COSTS = {
    "Entity.live": 10,
    "Entity.data": 10,
    "Query.search": 10,
    "Query.retrieve": 20,
}
DICTAMESH_GRAPHQL_RATE_PER_MINUTE = ENV.int(
    "DICTAMESH_GRAPHQL_RATE_PER_MINUTE",
    default=0 if ENV.name == "test" else 1200,  # the suite runs thousands of queries as one user
    minimum=0,
    doc="GraphQL requests one API token (else user, else client address) may make in a minute; past it, 429 "
    "with Retry-After. 0 turns the limit off (the default in tests only).",
)
DICTAMESH_GRAPHQL_PERSISTED_DAYS = ENV.int(
    "DICTAMESH_GRAPHQL_PERSISTED_DAYS", default=30, minimum=1, doc="How long a persisted query is kept."
)
DICTAMESH_GRAPHQL_MAX_DEPTH = ENV.int(
    "DICTAMESH_GRAPHQL_MAX_DEPTH", default=12, minimum=1, doc="Deepest selection a GraphQL query may nest."
)
DICTAMESH_GRAPHQL_MAX_ALIASES = ENV.int(
    "DICTAMESH_GRAPHQL_MAX_ALIASES", default=30, minimum=1, doc="Most aliases one GraphQL document may use."
)
DICTAMESH_API_MAX_BODY_BYTES = ENV.int(
    "DICTAMESH_API_MAX_BODY_BYTES",
    default=16 * 1024 * 1024,
    minimum=1024,
    doc=(
        "Largest request body the REST API, GraphQL and the schema registry take (413 before parsing past "
        "it). OpenLineage ingestion has its own limit (DICTAMESH_LINEAGE_MAX_BODY_BYTES)."
    ),
)
DATA_UPLOAD_MAX_MEMORY_SIZE = DICTAMESH_API_MAX_BODY_BYTES
DICTAMESH_API_MAX_JSON_DEPTH = ENV.int(
    "DICTAMESH_API_MAX_JSON_DEPTH",
    default=64,
    minimum=4,
    doc="Deepest nesting of a JSON request body (objects and arrays) on every surface; deeper is a 400.",
)
