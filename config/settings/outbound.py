"""The outbound policy (dictamesh.outbound): where DictaMesh may connect on someone's behalf."""

from config.env import ENV

DICTAMESH_OUTBOUND_ALLOW = ENV.list(
    "DICTAMESH_OUTBOUND_ALLOW",
    # dev: the embedded demo sources on loopback; test: the suite's local fakes of third-party servers
    default=["127.0.0.0/8", "::1"] if ENV.name in ("dev", "test") else [],
    doc=(
        "Addresses that are not public which adapters, webhooks, Slack and the router may still connect to: "
        "networks (10.0.0.0/8, ::1) or addresses with a port (127.0.0.1:18765, [::1]:8080). Loopback, "
        "private, link-local (cloud metadata) and reserved addresses are refused otherwise, checked after DNS "
        "resolution when connecting. Default: loopback in dev and test, nothing in prod."
    ),
)
DICTAMESH_SECRET_ENV_PREFIX = ENV.str(
    "DICTAMESH_SECRET_ENV_PREFIX",
    default="DICTAMESH_SECRET_",
    doc=(
        "The prefix every environment variable a configuration references as a secret must have "
        '(adapters\' {"env": NAME}, webhook secrets): no configuration can send PATH or DATABASE_URL '
        "anywhere. Empty allows any name (not recommended)."
    ),
)
