"""Celery tasks of the catalog: thin, idempotent, primitive arguments."""

from __future__ import annotations

from celery import shared_task

from .vectors import entity_embeddings_refresh


@shared_task(name="catalog.embed_entities")
def embed_entities(ids: list[int]) -> int:
    """Refresh the embeddings of these entities (skips those whose text did not change)."""
    return entity_embeddings_refresh(ids=ids)
