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
