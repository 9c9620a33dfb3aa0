"""Data-subject requests' topic. Its event types are ``dictamesh.governance.dsr.<action>`` (the names
notifications make mandatory): a request is governance's business, whichever app works it (ADR 0031).
Events carry the request's reference, kind, state, dates and the principals to tell (``owners``): never the
subject's identifiers."""

from dictamesh.events.topics import DAY_MS, Topic

DSR_TOPIC = Topic(
    "dictamesh.governance.dsr.v1",
    partitions=3,
    retention_ms=3 * 365 * DAY_MS,  # a regulator may ask for the proof years later
    description="Data-subject requests: received, verified, planned, run, extended, reminded, breached, closed.",
)
TOPICS = [DSR_TOPIC]

RECEIVED = "dictamesh.governance.dsr.received"
VERIFIED = "dictamesh.governance.dsr.verified"
REJECTED = "dictamesh.governance.dsr.rejected"
ASSIGNED = "dictamesh.governance.dsr.assigned"
PLANNED = "dictamesh.governance.dsr.planned"
APPROVED = "dictamesh.governance.dsr.approved"
EXTENDED = "dictamesh.governance.dsr.extended"
EXPORTED = "dictamesh.governance.dsr.exported"
DOWNLOADED = "dictamesh.governance.dsr.downloaded"
SOURCE_DONE = "dictamesh.governance.dsr.source_done"
SOURCE_FAILED = "dictamesh.governance.dsr.source_failed"
COMPLETED = "dictamesh.governance.dsr.completed"
CANCELLED = "dictamesh.governance.dsr.cancelled"
DEADLINE_NEAR = "dictamesh.governance.dsr.deadline_near"
DEADLINE_BREACHED = "dictamesh.governance.dsr.deadline_breached"
