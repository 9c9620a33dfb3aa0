"""Entity embeddings: what text an entity is embedded from, and the refresh that writes the vectors."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from django.db import connection

from dictamesh.embeddings import get_embedder, to_pgvector

from .models import Entity


def entity_text(
    *, name: str, display_name: str, entity_type: str, domain: str, description: str, tags: Iterable[str]
) -> str:
    title = name if not display_name or display_name == name else f"{display_name} ({name})"
    text = f"{title}. {entity_type.replace('_', ' ')} in {domain}. {description}".strip()
    tags = list(tags)
    return f"{text} Tags: {', '.join(tags)}." if tags else text


def entity_embeddings_refresh(*, ids: list[int], force: bool = False) -> int:
    """Compute and store the embeddings of ``ids`` whose text (or embedder) changed. Returns how many were written."""
    embedder = get_embedder()
    rows = (
        Entity.objects.filter(pk__in=ids, deleted_at__isnull=True)
        .values_list(
            "id",
            "name",
            "display_name",
            "entity_type",
            "domain__name",
            "description",
            "tags",
            "embedding_digest",
        )
        .order_by("id")
    )
    todo_ids, texts, digests = [], [], []
    for pk, name, display_name, entity_type, domain, description, tags, digest in rows:
        text = entity_text(
            name=name,
            display_name=display_name,
            entity_type=entity_type,
            domain=domain,
            description=description,
            tags=tags,
        )
        new_digest = hashlib.sha256(f"{embedder.name}\n{text}".encode()).hexdigest()
        if force or new_digest != digest:
            todo_ids.append(pk)
            texts.append(text)
            digests.append(new_digest)
    if not todo_ids:
        return 0
    vectors = [to_pgvector(v) for v in embedder.embed(texts)]
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE dictamesh_catalog_entity AS e SET embedding = u.v::vector, embedding_digest = u.d"
            " FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS u(id, v, d) WHERE e.id = u.id",
            [todo_ids, vectors, digests],
        )
    return len(todo_ids)


def embed_query(text: str) -> str:
    return to_pgvector(get_embedder().embed([text])[0])
