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
DICTAMESH_AUTH_FAILURES_PER_MINUTE = ENV.int(
    "DICTAMESH_AUTH_FAILURES_PER_MINUTE",
    default=0 if ENV.name == "test" else 20,  # the suite fails on purpose from one address; its test sets it
    minimum=0,
    doc=(
        "Failed authentications one client address may make in a minute with one claimed credential (a "
        "token's key, a Basic user name); past it, its requests claiming that credential get 429 until the "
        "minute ends, while other credentials from the address are not affected. 0 turns the limit off "
        "(the default in tests only)."
    ),
)
DICTAMESH_TRUSTED_PROXIES = ENV.list(
    "DICTAMESH_TRUSTED_PROXIES",
    default=[],
    doc=(
        "Addresses or networks (CIDR) of reverse proxies whose X-Forwarded-For is believed: the client "
        "address of throttles and rate limits is then the nearest forwarded address that is not a trusted "
        "proxy. Empty: REMOTE_ADDR, and X-Forwarded-For is ignored."
    ),
)
