"""Adapters: the GraphQL gateway's live fetches (timeouts, circuit breaker, cache)."""

from config.env import ENV

DICTAMESH_GATEWAY_TIMEOUT_SECONDS = ENV.float(
    "DICTAMESH_GATEWAY_TIMEOUT_SECONDS",
    default=5.0,
    doc="Longest a GraphQL request waits for one source's live records; past it, that source's fields are errors.",
)
DICTAMESH_GATEWAY_BREAKER_FAILURES = ENV.int(
    "DICTAMESH_GATEWAY_BREAKER_FAILURES",
    default=5,
    minimum=1,
    doc="Consecutive failed live fetches after which a source's circuit opens (its fields fail at once).",
)
DICTAMESH_GATEWAY_BREAKER_SECONDS = ENV.float(
    "DICTAMESH_GATEWAY_BREAKER_SECONDS",
    default=30.0,
    doc="How long an open circuit stays open before one trial fetch is let through.",
)
DICTAMESH_GATEWAY_L1_SIZE = ENV.int(
    "DICTAMESH_GATEWAY_L1_SIZE",
    default=10_000,
    minimum=0,
    doc="Live records kept in each process (L1; 0: none).",
)
DICTAMESH_GATEWAY_L1_TTL_SECONDS = ENV.float(
    "DICTAMESH_GATEWAY_L1_TTL_SECONDS",
    default=5.0,
    doc="Longest a process keeps a live record in L1 (Redis, L2, keeps it for the entity's cache TTL).",
)
DICTAMESH_GATEWAY_WORKERS = ENV.int(
    "DICTAMESH_GATEWAY_WORKERS",
    default=16,
    minimum=1,
    doc="Threads per process fetching from sources at once.",
)
