"""Who the current lineage read is for: the graph functions and selectors ask ``hidden`` (apps/lineage/governed.py
sets the caller with ``scope``). Apart from governed.py, so that selectors can ask without importing it."""

from __future__ import annotations

import contextvars
from collections.abc import Callable

from dictamesh.core.scoped import bound

Hider = Callable[[str, list[int]], set[int]]
_hider: contextvars.ContextVar[Hider | None] = contextvars.ContextVar("dictamesh_lineage_hider", default=None)


def hiding(hider: Hider):
    """While it lasts (a ``with`` block), ``hidden`` answers with ``hider``."""
    return bound(_hider, hider)


def hidden(graph: str, ids: list[int]) -> set[int]:
    """The ids (of ``graph``: node or field) hidden from the caller of the current read (none outside one)."""
    hider = _hider.get()
    return hider(graph, ids) if hider is not None else set()
