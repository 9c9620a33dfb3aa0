"""Events of the auth module: API tokens created and revoked."""

from dictamesh.events.topics import Topic

TOKEN_TOPIC = Topic(
    "dictamesh.auth.token.v1",
    partitions=3,
    retention_ms=30 * 24 * 3600 * 1000,
    description="API tokens created and revoked (never the token itself).",
)
TOPICS = [TOKEN_TOPIC]
