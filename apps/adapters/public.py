"""What other apps may use of adapters (import only this module): live data for the GraphQL gateway."""

from __future__ import annotations

from graphql_sync_dataloaders import SyncDataLoader

from dictamesh.errors import DictaMeshError
from dictamesh.graphql.loaders import loader_for, then


class LiveLoader(SyncDataLoader):
    """Live records of entities, one batch per request level: one fetch per source and type."""

    def __init__(self):
        self.states: dict[str, dict] = {}
        super().__init__(self.batch)

    def batch(self, urns: list[str]):
        from .live import fetch_live

        found = fetch_live([self.states[urn] for urn in urns])
        return [found[urn] for urn in urns]


class LiveError(DictaMeshError):
    """A source failed for this entity: the field's error names it; the rest of the answer stands."""

    code = "source_unavailable"
    status = 502


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


def record_union():
    """The ``LiveRecord`` GraphQL union as adapter instances are now (the schema is made with it)."""
    from .typed import record_union as union

    return union()


def record_for(info, state: dict):
    """A future of the entity's typed live record (a member of ``LiveRecord``), or None."""
    from .typed import typed

    return then(live_for(info, state), lambda live: typed(state, live["data"]))


def schema_generation() -> int:
    """Bumped whenever adapter instances change: the GraphQL schema is made again when it moves."""
    from .typed import generation

    return generation()
