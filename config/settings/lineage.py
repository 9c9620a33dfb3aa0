"""Lineage: OpenLineage ingestion limits, graph query bounds, where first-seen datasets go in the catalog."""

from config.env import ENV

DICTAMESH_LINEAGE_MAX_BODY_BYTES = ENV.int(
    "DICTAMESH_LINEAGE_MAX_BODY_BYTES",
    default=5 * 1024 * 1024,
    minimum=1024,
    doc="Largest OpenLineage event accepted at POST /api/v1/lineage, in bytes, before and after gzip (413 above).",
)
DICTAMESH_LINEAGE_MAX_DEPTH = ENV.int(
    "DICTAMESH_LINEAGE_MAX_DEPTH",
    default=20,
    minimum=1,
    doc="Largest `depth` a lineage, column-lineage or impact query may ask for (400 above).",
)
DICTAMESH_LINEAGE_MAX_NODES = ENV.int(
    "DICTAMESH_LINEAGE_MAX_NODES",
    default=5000,
    minimum=10,
    doc="Most nodes one lineage answer holds; a larger neighbourhood is cut, nearest first, and marked truncated.",
)
DICTAMESH_LINEAGE_CATALOG_SOURCE = ENV.str(
    "DICTAMESH_LINEAGE_CATALOG_SOURCE",
    default="openlineage",
    doc="Catalog source system of the entities created for datasets first seen in lineage events.",
)
DICTAMESH_LINEAGE_CATALOG_DOMAIN = ENV.str(
    "DICTAMESH_LINEAGE_CATALOG_DOMAIN",
    default="lineage",
    doc="Catalog domain of the entities created for datasets first seen in lineage events.",
)
DICTAMESH_LINEAGE_GROUP_COMMIT = ENV.bool(
    "DICTAMESH_LINEAGE_GROUP_COMMIT",
    default=True,
    doc=(
        "OpenLineage events are accepted at once (concurrent requests of a process share one statement and "
        "commit) and applied to the graph in batches right after; reads apply what is queued first. Off: "
        "each event is stored and applied in its own transaction before the request returns."
    ),
)
