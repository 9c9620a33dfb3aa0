"""The schema registry: where its Confluent-compatible API lives, and how large a schema may be."""

from config.env import ENV

DICTAMESH_SCHEMA_REGISTRY_PATH = ENV.str(
    "DICTAMESH_SCHEMA_REGISTRY_PATH",
    default="/schema-registry/",
    doc=(
        "URL prefix of the Confluent Schema Registry REST API (Kafka clients' `schema.registry.url` is the "
        "server's address plus this prefix)."
    ),
)
DICTAMESH_SCHEMAS_MAX_BYTES = ENV.int(
    "DICTAMESH_SCHEMAS_MAX_BYTES",
    default=1024 * 1024,
    minimum=1024,
    doc="Largest schema text the registry accepts, in bytes (larger ones answer 42209).",
)
DICTAMESH_SCHEMA_RESOLVER = ENV.str(
    "DICTAMESH_SCHEMA_RESOLVER",
    default="apps.schemas.resolver.RegistryResolver",
    doc=(
        "What DictaMesh's own Avro topics use as their schema registry (dotted path; empty: Avro topics are "
        "published as JSON). The default is DictaMesh's registry."
    ),
)
