"""Governance: the default when no policy decides, and how masked values are hashed."""

from config.env import ENV

# the decision point the apps below governance call through dictamesh.decision_point (ADR 0027)
DICTAMESH_DECISION_POINT = "apps.governance.public"

DICTAMESH_GOVERNANCE_DEFAULT = ENV.choice(
    "DICTAMESH_GOVERNANCE_DEFAULT",
    ("open", "closed"),
    default="open",
    doc=(
        "What is decided when no policy matches. `open`: reads and (with a token) writes are allowed, except on "
        "restricted data; sensitive values are masked; managing governance needs staff. `closed`: everything "
        "not allowed by a policy is denied (superusers excepted)."
    ),
)
DICTAMESH_MASKING_SALT = ENV.str(
    "DICTAMESH_MASKING_SALT",
    default="",
    doc=(
        "Secret salt of the `hash` mask (HMAC-SHA256): the same value hashes alike within a deployment and "
        "differently across deployments. Empty: derived from DJANGO_SECRET_KEY."
    ),
    secret=True,
)
DICTAMESH_AUDIT_MAX_ITEMS = ENV.int(
    "DICTAMESH_AUDIT_MAX_ITEMS",
    default=1000,
    minimum=10,
    doc="Most resources one audit event lists (a request reading more records the count and the first ones).",
)
