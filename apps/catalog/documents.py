"""Documents attached to entities, for retrieval (RAG): chunked with overlap, embedded, searched by meaning."""

from __future__ import annotations

from django.db import connection, transaction
from django.utils import timezone

from dictamesh.embeddings import get_embedder, to_pgvector
from dictamesh.errors import NotFound

from .contracts import DocumentIn, RetrieveIn
from .models import Document, DocumentChunk, Entity
from .selectors import EntityFilter
from .vectors import embed_query

CHUNK_SIZE = 800  # characters
CHUNK_OVERLAP = 200
MAX_DOCUMENT = 1_000_000
MAX_K = 50


def chunk_text(text: str, *, size: int = CHUNK_SIZE, overlap: int = CHUNK_OVERLAP) -> list[tuple[int, str]]:
    """Split into (start, chunk) pieces of about ``size`` characters, consecutive ones sharing ``overlap``.

    Cuts prefer a paragraph break, then a sentence end, then a space, in the last third of a piece.
    """
    text = text.strip()
    if len(text) <= size:
        return [(0, text)] if text else []
    chunks, start = [], 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            window = text[start + size * 2 // 3 : end]
            for marker in ("\n\n", ". ", "\n", " "):
                cut = window.rfind(marker)
                if cut != -1:
                    end = start + size * 2 // 3 + cut + len(marker)
                    break
        piece = text[start:end].strip()
        if piece:
            chunks.append((start, piece))
        if end >= len(text):
            break
        next_start = max(end - overlap, start + 1)
        space = text.find(" ", next_start, end)  # start the overlap on a word boundary
        start = space + 1 if space != -1 else next_start
    return chunks


@transaction.atomic
def document_attach(*, urn: str, document: DocumentIn) -> Document:
    """Attach (or replace, by title) a document on an entity; its chunks are embedded at once."""
    title, content, content_type = document.title, document.content, document.content_type
    entity = Entity.objects.filter(urn=urn, deleted_at__isnull=True).first()
    if entity is None:
        raise NotFound(f"No entity {urn}.")
    document, _ = Document.objects.update_or_create(
        entity=entity,
        title=title,
        defaults={"content": content, "content_type": content_type, "updated_at": timezone.now()},
    )
    document.chunks.all().delete()
    pieces = chunk_text(content)
    vectors = get_embedder().embed([f"{title}\n{piece}" for _, piece in pieces])
    DocumentChunk.objects.bulk_create(
        [
            DocumentChunk(document=document, entity=entity, ordinal=i, start=start, text=piece)
            for i, (start, piece) in enumerate(pieces)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE dictamesh_catalog_chunk AS c SET embedding = u.v::vector FROM unnest(%s::int[], %s::text[])"
            " AS u(o, v) WHERE c.document_id = %s AND c.ordinal = u.o",
            [list(range(len(pieces))), [to_pgvector(v) for v in vectors], document.pk],
        )
    return document


def retrieve(*, question: RetrieveIn, visible: tuple[str, tuple] | None = None) -> list[dict]:
    """The ``k`` chunks closest in meaning to the question's ``query``, with their entity and a cosine
    similarity score; with ``visible`` (EntityFilter.visible), only from entities the caller may read."""
    query, k, domain = question.query, question.k, question.domain
    vector = embed_query(query)
    sql = (
        "SELECT c.id, c.text, c.ordinal, c.start, d.title, e.urn, e.name, 1 - (c.embedding <=> %s::vector) AS score"
        " FROM dictamesh_catalog_chunk c JOIN dictamesh_catalog_document d ON d.id = c.document_id"
        " JOIN dictamesh_catalog_entity e ON e.id = c.entity_id"
        " WHERE e.deleted_at IS NULL AND c.embedding IS NOT NULL"
    )
    params: list = [vector]
    if domain:
        sql += " AND e.domain_id = (SELECT id FROM dictamesh_catalog_domain WHERE name = %s)"
        params.append(domain)
    if visible is not None:
        condition, extra = EntityFilter(visible=visible).visible_sql("e")
        sql += f" AND {condition}"
        params += extra
    sql += " ORDER BY c.embedding <=> %s::vector LIMIT %s"
    params += [vector, k]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL hnsw.ef_search = 100")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        {
            "chunk_id": pk,
            "text": text,
            "ordinal": ordinal,
            "start": start,
            "document": title,
            "entity": {"urn": urn, "name": name},
            "score": round(float(score), 6),
        }
        for pk, text, ordinal, start, title, urn, name, score in rows
    ]
