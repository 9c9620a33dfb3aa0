"""What other apps may use of adapters (import only this module). Its GraphQL fields are in graphql.py."""

from __future__ import annotations


def schema_generation() -> int:
    """Bumped whenever adapter instances change: the GraphQL schema is made again when it moves."""
    from .typed import generation

    return generation()


def attention() -> list[dict]:
    """Failed syncs of the last seven days, for the home page's "needs attention"."""
    from .selectors import sync_runs_failed_recently

    return [
        {
            "what": "failed syncs (7 days)",
            "count": sync_runs_failed_recently(days=7),
            "href": "/admin/adapters/syncrun/?status__exact=failed",
        }
    ]


def subject_sources() -> list[dict]:
    """Enabled sources and what they can do for a data-subject request (search, erase, …)."""
    from .subjects import subject_sources as found

    return found()


def subject_find(*, name: str, identifiers: dict[str, list[str]], entity_types: list[str]) -> list[dict]:
    """Where the source ``name`` holds a person's records (search, foreign keys, keyed topics)."""
    from .subjects import subject_find as find

    return find(name=name, identifiers=identifiers, entity_types=entity_types)


def subject_records(*, name: str, entity_type: str, keys: list[str]) -> list[dict]:
    from .subjects import subject_records as records

    return records(name=name, entity_type=entity_type, keys=keys)


def subject_erase(*, name: str, entity_type: str, keys: list[str]) -> dict:
    """Erase a person's records in a source (its configured delete, anonymize or tombstones)."""
    from .subjects import subject_erase as erase

    return erase(name=name, entity_type=entity_type, keys=keys)
