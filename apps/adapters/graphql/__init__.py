"""What adapters add to GraphQL: the catalog's ``Entity.live``, ``data`` and ``record`` fields.

They are added to the catalog's type by the composition root (config/schema.py, ADR 0027): the catalog,
a lower layer, does not import adapters. The live data of a request's entities is loaded in one batch per
request level (one fetch per source and type) and masked by the governance decision point.
"""

from __future__ import annotations

import graphene
from graphene.types.generic import GenericScalar
from graphql_sync_dataloaders import SyncDataLoader

from dictamesh.errors import DictaMeshError
from dictamesh.graphql.loaders import loader_for, then


class LiveLoader(SyncDataLoader):
    """Live records of entities, one batch per request level: one fetch per source and type."""

    def __init__(self):
        self.states: dict[str, dict] = {}
        super().__init__(self.batch)

    def batch(self, urns: list[str]):
        from ..live import fetch_live

        found = fetch_live([self.states[urn] for urn in urns])
        return [found[urn] for urn in urns]


class LiveError(DictaMeshError):
    """A source failed for this entity: the field's error names it; the rest of the answer stands."""

    code = "source_unavailable"
    status = 502


class LiveDataType(graphene.ObjectType):
    class Meta:
        name = "LiveData"
        description = "An entity's record in its source system, fetched through its adapter."

    data = GenericScalar(
        description="The record, masked as the caller may see it; null if the source has none."
    )
    source = graphene.String(required=True, description="The adapter instance (source system) it came from.")
    fetched_at = graphene.String(description="When it was fetched from the source (ISO 8601).")
    cached = graphene.Boolean(
        required=True, description="Served from the cache (within the entity's cache TTL)."
    )


def live_for(info, state: dict):
    """A future of the entity's live data as this caller may see it: ``{"data", "source", "fetched_at",
    "cached"}``, None without an adapter; a failed source raises LiveError (a field error, data elsewhere).
    Live data is a source system's records: anonymous callers get none (``unauthenticated``), whatever the
    catalog lets them browse."""
    from dictamesh.graphql.context import require_user

    require_user(info)
    loader = loader_for(info, LiveLoader)
    loader.states.setdefault(state["urn"], state)

    def shown(live):
        if live.error:
            raise LiveError(f"live data of {state['urn']}: {live.error}")
        if live.data is None:
            return {"data": None, "source": live.source, "fetched_at": live.fetched_at, "cached": live.cached}
        from apps.governance import public as governance

        data = governance.record_out(governance.access(info.context), state, live.data)
        return {"data": data, "source": live.source, "fetched_at": live.fetched_at, "cached": live.cached}

    return then(loader.load(state["urn"]), shown)


def _record_union():
    """The ``LiveRecord`` union as adapter instances are now (called when the schema is made)."""
    from ..typed import record_union

    return record_union()


def _resolve_record(root, info):
    from ..typed import typed

    return then(live_for(info, root), lambda live: typed(root, live["data"]))


def entity_fields() -> dict[str, graphene.Field]:
    """The fields adapters add to the catalog's ``Entity``."""
    return {
        "live": graphene.Field(
            LiveDataType,
            resolver=lambda root, info: live_for(info, root),
            description="The entity's live record from its source system (through its adapter; null without "
            "one). Batched per source and request level, cached for the entity's cache TTL, masked per caller. "
            "A source that fails gives an error naming it, and the rest of the answer stands.",
        ),
        "data": graphene.Field(
            GenericScalar,
            resolver=lambda root, info: then(live_for(info, root), lambda live: live["data"]),
            description="The live record alone (``live { data }``).",
        ),
        "record": graphene.Field(
            _record_union,  # a callable: the union is made with the schema, as adapter instances are then
            resolver=_resolve_record,
            description="The live record as a typed object (a member of LiveRecord: TableState, TopicState, or "
            "a type made from a REST resource's schema); null when its kind has no type.",
        ),
    }
