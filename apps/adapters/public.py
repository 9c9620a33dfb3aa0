"""What other apps may use of adapters (import only this module). Its GraphQL fields are in graphql.py."""

from __future__ import annotations


def schema_generation() -> int:
    """Bumped whenever adapter instances change: the GraphQL schema is made again when it moves."""
    from .typed import generation

    return generation()
