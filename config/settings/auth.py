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

# -- single sign-on (OpenID Connect; dictamesh/auth/oidc.py, ADR 0030) ---------------------------------------
DICTAMESH_OIDC_ISSUER = ENV.str(
    "DICTAMESH_OIDC_ISSUER",
    default="",
    doc=(
        "The OpenID Connect provider's issuer URL (https://login.example.com/realms/acme): its endpoints and "
        "keys come from its discovery document. Empty: no single sign-on, passwords only."
    ),
)
DICTAMESH_OIDC_CLIENT_ID = ENV.str(
    "DICTAMESH_OIDC_CLIENT_ID", default="", doc="DictaMesh's client id at the provider."
)
DICTAMESH_OIDC_CLIENT_SECRET = ENV.str(
    "DICTAMESH_OIDC_CLIENT_SECRET", default="", doc="DictaMesh's client secret at the provider.", secret=True
)
DICTAMESH_OIDC_PROVIDER_NAME = ENV.str(
    "DICTAMESH_OIDC_PROVIDER_NAME",
    default="single sign-on",
    doc="What the sign-in button calls the provider.",
)
DICTAMESH_OIDC_SCOPES = ENV.str(
    "DICTAMESH_OIDC_SCOPES",
    default="openid email profile",
    doc="The scopes asked for (add `groups` if needed).",
)
DICTAMESH_OIDC_SIGN_ALGORITHM = ENV.str(
    "DICTAMESH_OIDC_SIGN_ALGORITHM", default="RS256", doc="How the provider signs ID tokens (RS256, ES256…)."
)
DICTAMESH_OIDC_USERNAME_CLAIM = ENV.str(
    "DICTAMESH_OIDC_USERNAME_CLAIM",
    default="preferred_username",
    doc="The claim that names the DictaMesh user (policies say `user:<it>`).",
)
DICTAMESH_OIDC_GROUPS_CLAIM = ENV.str(
    "DICTAMESH_OIDC_GROUPS_CLAIM",
    default="groups",
    doc="The claim listing the user's groups; they become its DictaMesh groups at each sign-in.",
)
DICTAMESH_OIDC_STAFF_GROUPS = ENV.list(
    "DICTAMESH_OIDC_STAFF_GROUPS",
    default=["data-stewards"],
    doc="Groups whose members are staff (may open the admin; what they may do there is the group's permissions).",
)
AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend", "dictamesh.auth.oidc.Backend"]
