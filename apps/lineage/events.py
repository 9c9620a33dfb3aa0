"""Lineage's topics: what was ingested and edited (keyed by run or node), and impacts detected."""

from dictamesh.events.topics import DAY_MS, Topic

GRAPH_TOPIC = Topic(
    "dictamesh.lineage.graph.v1",
    partitions=6,
    retention_ms=14 * DAY_MS,
    description="OpenLineage events ingested (run state, inputs, outputs, datasets first seen); manual edges.",
)
IMPACT_TOPIC = Topic(
    "dictamesh.lineage.impact.v1",
    partitions=3,
    retention_ms=30 * DAY_MS,
    description="Schema versions that remove or change fields used downstream, with what they reach.",
)
FRESHNESS_TOPIC = Topic(
    "dictamesh.lineage.freshness.v1",
    partitions=3,
    retention_ms=30 * DAY_MS,
    description="Datasets' freshness SLAs: set, removed, breached (no completed write in time), restored.",
)
TOPICS = [GRAPH_TOPIC, IMPACT_TOPIC, FRESHNESS_TOPIC]

EVENT_INGESTED = "dictamesh.lineage.graph.event_ingested"
EDGE_ADDED = "dictamesh.lineage.graph.edge_added"
EDGE_REMOVED = "dictamesh.lineage.graph.edge_removed"
DATASET_LINKED = "dictamesh.lineage.graph.dataset_linked"
IMPACT_DETECTED = "dictamesh.lineage.impact.detected"
FRESHNESS_SET = "dictamesh.lineage.freshness.sla_set"
FRESHNESS_REMOVED = "dictamesh.lineage.freshness.sla_removed"
FRESHNESS_BREACHED = "dictamesh.lineage.freshness.breached"
FRESHNESS_RESTORED = "dictamesh.lineage.freshness.restored"
