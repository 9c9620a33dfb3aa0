"""Authentication: API tokens, anonymous reads."""

from config.env import ENV

DICTAMESH_ALLOW_ANONYMOUS_READ = ENV.bool(
    "DICTAMESH_ALLOW_ANONYMOUS_READ",
    default=ENV.name != "prod",
    doc="Allow reads (GET, GraphQL queries) without a token. Writes always need one.",
)
DICTAMESH_TOKEN_MAX_EXPIRY_DAYS = ENV.int(
    "DICTAMESH_TOKEN_MAX_EXPIRY_DAYS",
    default=0,
    minimum=0,
    doc="Longest lifetime a new API token may have, in days; 0 allows tokens that never expire.",
)
DICTAMESH_ADMIN_USERNAME = ENV.str(
    "DICTAMESH_ADMIN_USERNAME",
    default="admin",
    doc="User name of the admin `dictamesh dev` creates on first start.",
)
DICTAMESH_TOKEN_CACHE_SECONDS = ENV.int(
    "DICTAMESH_TOKEN_CACHE_SECONDS",
    default=30,
    minimum=0,
    doc=(
        "How long a process keeps a verified API token in memory (0: look it up on every request). A revoked "
        "token is dropped at once in every process; a deactivated user's tokens stop within this time."
    ),
)
