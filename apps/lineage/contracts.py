"""The shapes of lineage's operations: the inputs of its own writes (parsed as contracts: an unknown field
refused by name) and the answers documented in the OpenAPI (docs/api.md).

OpenLineage events are not a contract here: the spec is open (custom facets, new versions), so an event is
read by ``payloads.py``, which keeps what it knows and never fails on what it does not (ADR 0012, 0028).
The Marquez-compatible reads keep Marquez's wire shapes (camelCase, ``totalCount``); their answers are
documented with the fields clients read and admit more (``additionalProperties``)."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from dictamesh.contracts import Contract, hinted, text

NODE_HINT = "a node id: dataset:<namespace>:<name> or job:<namespace>:<name>"
FIELD_HINT = "a field id: datasetField:<namespace>:<dataset>:<field>"


class SchemaImpactIn(Contract):
    """A proposed schema for a subject: what would it break downstream?"""

    what: ClassVar[str] = "proposed schema"
    subject: text(255) = hinted("required: a subject of the registry", ...)
    schema_: text(1_000_000) = hinted("required: the proposed schema's text", ..., validation_alias="schema",
                                      serialization_alias="schema")  # fmt: skip
    schemaType: str = hinted("AVRO, JSON, PROTOBUF or GRAPHQL", "AVRO")  # noqa: N815 - the registry's name
    depth: int | None = hinted("a whole number of hops", ge=1)


class EdgeIn(Contract):
    """A steward's edge: dataset → job or job → dataset"""

    what: ClassVar[str] = "edge"
    origin: text(1000) = hinted(NODE_HINT, ...)
    destination: text(1000) = hinted(NODE_HINT, ...)
    confidence: float = hinted(
        "0..1", 1.0, ge=0.0, le=1.0, allow_inf_nan=False, description="a number from 0 to 1"
    )
    note: str = hinted("at most 2,000 characters", "", max_length=2000)


class ColumnEdgeIn(Contract):
    """A steward's column lineage: an input field feeds an output field"""

    what: ClassVar[str] = "column edge"
    input: text(1000) = hinted(FIELD_HINT, ...)
    output: text(1000) = hinted(FIELD_HINT, ...)
    transformationType: str = hinted("DIRECT or INDIRECT", "DIRECT", max_length=50)  # noqa: N815 - OpenLineage's
    description: str = hinted("at most 2,000 characters", "", max_length=2000)


class EntityLinkIn(Contract):
    """A dataset and the catalog entity it really is (an adapter's table)"""

    what: ClassVar[str] = "link"
    nodeId: text(1000) = hinted(NODE_HINT, ...)  # noqa: N815 - Marquez's name
    urn: text(512) = hinted("an entity URN (dm:…)", ..., pattern=r"^dm:")


class FreshnessSlaIn(Contract):
    """A dataset's freshness SLA: the longest time between two completed writes"""

    what: ClassVar[str] = "freshness SLA"
    nodeId: text(1000) = hinted(NODE_HINT, ...)  # noqa: N815 - Marquez's name
    slaSeconds: int = hinted("a whole number of seconds", ..., ge=1)  # noqa: N815


# -- answers ----------------------------------------------------------------------------------------------------
class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Ingested(BaseModel):
    """What became of an OpenLineage event: stored (applied by the lineage worker) or a duplicate"""

    status: Literal["stored", "duplicate"]
    kind: str
    runId: str | None  # noqa: N815 - OpenLineage's name


class LineageGraph(_Open):
    """A lineage graph as Marquez answers it: its nodes, each with its in and out edges"""

    graph: list[dict[str, Any]]


class Impact(_Open):
    """What is downstream, with the paths, the hops and the owners to tell"""

    source: list[str]
    depth: int
    datasets: list[dict[str, Any]]
    jobs: list[dict[str, Any]]
    fields: list[dict[str, Any]]
    truncated: bool


class SchemaImpact(Impact):
    """What a proposed schema would break: its removed and retyped fields and what uses them"""

    subject: str
    changes: list[dict[str, Any]]


class LineagePath(BaseModel):
    """A shortest path between two nodes (none: an empty path)"""

    direction: Literal["downstream", "upstream"] | None
    path: list[str]


class Edge(BaseModel):
    """An edge added by a steward"""

    origin: str
    destination: str
    provenance: str
    confidence: float


class ColumnEdge(BaseModel):
    """A column edge added by a steward"""

    input: str
    output: str
    provenance: str


class EntityLink(BaseModel):
    """A dataset linked to a catalog entity"""

    nodeId: str  # noqa: N815
    urn: str


class FreshnessSlas(BaseModel):
    """Datasets' freshness SLAs"""

    totalCount: int  # noqa: N815 - Marquez's name
    slas: list[dict[str, Any]]


class FreshnessSla(_Open):
    """A dataset's freshness SLA and whether it is late"""


class MarquezObject(_Open):
    """A Marquez object (namespace, dataset, job or run) in Marquez's shape"""


class MarquezPage(_Open):
    """A Marquez page: ``totalCount`` and the items under the collection's name"""

    totalCount: int | None = Field(default=None)  # noqa: N815
