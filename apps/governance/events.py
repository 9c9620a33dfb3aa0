"""Governance topics: the access audit (sensitive reads, denied decisions) and policy changes."""

from dictamesh.events.topics import DAY_MS, Topic

AUDIT_TOPIC = Topic(
    "dictamesh.governance.audit.v1",
    partitions=6,
    retention_ms=400 * DAY_MS,
    description="Sensitive reads and denied decisions: who, what, which fields, why, trace id.",
)
POLICY_TOPIC = Topic(
    "dictamesh.governance.policy.v1",
    partitions=3,
    retention_ms=400 * DAY_MS,
    description="Access policies and roles created, changed and deleted; field classifications decided.",
)
TOPICS = [AUDIT_TOPIC, POLICY_TOPIC]

SENSITIVE_READ = "dictamesh.governance.access.sensitive_read"
ACCESS_DENIED = "dictamesh.governance.access.denied"
POLICY_CREATED = "dictamesh.governance.policy.created"
POLICY_UPDATED = "dictamesh.governance.policy.updated"
POLICY_DELETED = "dictamesh.governance.policy.deleted"
ROLE_CHANGED = "dictamesh.governance.role.changed"
FIELD_CLASSIFIED = "dictamesh.governance.field.classified"
CONSENT_RECORDED = "dictamesh.governance.consent.recorded"
RETENTION_CHANGED = "dictamesh.governance.retention.changed"
RETENTION_RAN = "dictamesh.governance.retention.ran"
LEGAL_HOLD_CHANGED = "dictamesh.governance.legal_hold.changed"
