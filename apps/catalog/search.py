"""Search: full-text (weighted tsvector + trigram typo tolerance), semantic (pgvector HNSW), hybrid (RRF).

All modes share the filters of ``EntityFilter`` and exclude deleted entities. Results come with facet
counts (domain, source, type, tag, owner, classification): over every match for full-text, over the
candidate pool (the nearest ``POOL`` entities) for semantic and hybrid. Cursors are opaque offsets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from dictamesh.api.cursors import decode_cursor, encode_cursor, invalid_cursor
from dictamesh.embeddings import get_embedder
from dictamesh.errors import ValidationError

from .selectors import EntityFilter, entities_queryset, page_size
from .state import entity_state
from .vectors import embed_query

MODES = ("fulltext", "semantic", "hybrid")
SORTS = ("relevance", "name", "-updated_at")
RRF_K = 60
POOL = 100
MAX_DEPTH = 1000  # how far semantic and hybrid results can be paged
FACET_LIMIT = 20
FACET_SCAN = 500  # facets and totals are counted over at most this many matches (+1)
MAX_QUERY = 500


@dataclass
class SearchResult:
    items: list[dict]  # {"entity": state, "score": float}
    facets: dict[str, list[dict]]
    total: int | None  # exact for full-text up to FACET_SCAN; the pool size for semantic and hybrid
    next_cursor: str | None
    mode: str
    exact: bool = True  # False when more than FACET_SCAN entities match: total and facets are lower bounds
    corrected: str | None = None  # the query searched instead, when the typed one matched nothing
    extra: dict[str, Any] = field(default_factory=dict)


def _filter_sql(filters: EntityFilter, alias: str = "e", *, text: bool = False) -> tuple[str, list]:
    """SQL conditions of the filters. ``text``: the query also has a full-text condition. Its GIN indexes
    hold the domain too (btree_gin), so a domain is matched inside them; a source would only add a costly
    BitmapAnd with its btree (100,000-entry bitmaps at 1M entities): ``+ 0`` checks it on the rows instead."""
    clauses, params = [f"{alias}.deleted_at IS NULL"], []
    plus = " + 0" if text else ""
    if filters.domain:
        clauses.append(f"{alias}.domain_id = (SELECT id FROM dictamesh_catalog_domain WHERE name = %s)")
        params.append(filters.domain)
    if filters.source:
        clauses.append(f"{alias}.source_id{plus} = (SELECT id FROM dictamesh_catalog_source WHERE name = %s)")
        params.append(filters.source)
    if filters.type:
        clauses.append(f"{alias}.entity_type = %s")
        params.append(filters.type)
    if filters.tags:
        clauses.append(f"{alias}.tags @> %s::varchar[]")
        params.append(list(filters.tags))
    if filters.owner:
        clauses.append(
            f"EXISTS (SELECT 1 FROM dictamesh_catalog_owner o WHERE o.entity_id = {alias}.id AND o.principal = %s)"
        )
        params.append(filters.owner)
    if filters.classification:
        clauses.append(f"{alias}.classification = %s")
        params.append(filters.classification)
    if not filters.include_deprecated:
        clauses.append(f"{alias}.deprecated_at IS NULL")
    if filters.visible:
        sql, extra = filters.visible_sql(alias)
        clauses.append(sql)
        params.extend(extra)
    return " AND ".join(clauses), params


WEBSEARCH = "websearch_to_tsquery('english', %s)"
NAME_VECTOR = "to_tsvector('english', e.name || ' ' || e.display_name)"  # dictamesh_cat_entity_dname_idx
CANDIDATES = 500  # entities ranked per stage
SIMILAR_WORDS = 3  # dictionary words tried for an unknown query word


@dataclass(frozen=True)
class TsQuery:
    """A tsquery as SQL with its parameters: the query as typed, or as corrected."""

    sql: str
    params: tuple
    text: str


def _typed(query: str) -> TsQuery:
    return TsQuery(WEBSEARCH, (query,), query)


def _seen_by(filters: EntityFilter) -> tuple[str, list]:
    """A condition on a dictionary word (``w.word``): it is in the name of an entity the caller may read.
    The dictionary holds the words of every entity's name, so without it a correction would spell out
    the name of an entity the caller may not see. TRUE when the caller may read every entity."""
    if not filters.visible:
        return "TRUE", []
    sql, params = filters.visible_sql("v")
    return (
        "EXISTS (SELECT 1 FROM dictamesh_catalog_entity v WHERE v.deleted_at IS NULL AND "
        + NAME_VECTOR.replace("e.", "v.")
        + f" @@ plainto_tsquery('english', w.word) AND {sql})",
        list(params),
    )


def _corrected(query: str, filters: EntityFilter | None = None) -> TsQuery | None:
    """The query with each word missing from the names' dictionary replaced by its closest known words
    (only words of names the caller may read: ``filters.visible``)."""
    from dictamesh.embeddings import words as split_words

    typed = [w for w in split_words(query) if len(w) >= 3][:8]
    if not typed:
        return None
    seen, seen_params = _seen_by(filters or EntityFilter())
    parts, params, shown = [], [], []
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.word FROM dictamesh_catalog_name_word w WHERE w.word = ANY(%s) AND {seen}",
            [typed, *seen_params],
        )
        known = {row[0] for row in cursor.fetchall()}
        cursor.execute("SET LOCAL pg_trgm.similarity_threshold = 0.4")
        changed = False
        for word in typed:
            alternatives = [word]
            if word not in known:
                cursor.execute(
                    f"SELECT w.word FROM dictamesh_catalog_name_word w WHERE w.word %% %s AND {seen}"
                    " ORDER BY similarity(w.word, %s) DESC, w.word LIMIT %s",
                    [word, *seen_params, word, SIMILAR_WORDS],
                )
                alternatives = [row[0] for row in cursor.fetchall()]
                if not alternatives:
                    return None
                changed = True
            parts.append("(" + " || ".join(["plainto_tsquery('english', %s)"] * len(alternatives)) + ")")
            params += alternatives
            shown.append(alternatives[0])
    if not changed:
        return None
    return TsQuery("(" + " && ".join(parts) + ")", tuple(params), " ".join(shown))


def _stage(cursor, sql: str, params: list) -> list[tuple[int, float]]:
    cursor.execute(sql, params)
    return [(pk, float(score)) for pk, score in cursor.fetchall()]


def _fulltext_ids(
    tsq: TsQuery,
    filters: EntityFilter,
    sort: str,
    offset: int,
    limit: int,
    pool: dict | None = None,
) -> list[tuple[int, float]]:
    """Relevance: entities whose name matches, then those that match elsewhere (description, tags,
    properties) — each stage ranks at most CANDIDATES matches, and the second runs only when the first found
    fewer than the page needs. Other sorts order every match.

    ``pool`` receives ``ids`` and ``exact`` when the stages already hold what facets should count: every
    match (the second stage ran and was not cut), or a sample of a broad query (a stage was cut)."""
    where, params = _filter_sql(filters, text=True)
    if sort != "relevance":
        order = {"name": "e.name, e.id", "-updated_at": "e.updated_at DESC, e.id DESC"}[sort]
        sql = (
            f"SELECT e.id, 1.0 FROM dictamesh_catalog_entity e WHERE {where} AND e.search_vector @@ {tsq.sql}"
            f" ORDER BY {order} LIMIT %s OFFSET %s"
        )
        with connection.cursor() as cursor:
            return _stage(cursor, sql, [*params, *tsq.params, limit, offset])
    need = offset + limit
    score = f"ts_rank_cd(c.search_vector, {tsq.sql}, 32) + word_similarity(%s, c.name)"
    ranked: list[tuple[int, float]] = []
    seen: set[int] = set()
    with connection.cursor() as cursor:
        for condition, boost in (
            (f"{NAME_VECTOR} @@ {tsq.sql}", 2.0),
            (f"e.search_vector @@ {tsq.sql}", 1.0),
        ):
            if len(ranked) >= need:
                break
            rows = _stage(
                cursor,
                f"SELECT id, {boost} + {score} AS score FROM ("
                f"SELECT e.id, e.name, e.search_vector FROM dictamesh_catalog_entity e"
                f" WHERE {where} AND {condition} LIMIT {CANDIDATES}) AS c ORDER BY score DESC, id",
                [*tsq.params, tsq.text, *params, *tsq.params],
            )
            if pool is not None and (boost == 1.0 or len(rows) >= CANDIDATES):
                pool["ids"] = [pk for pk, _ in rows]
                pool["exact"] = boost == 1.0 and len(rows) < CANDIDATES
            for pk, value in rows:
                if pk not in seen:
                    seen.add(pk)
                    ranked.append((pk, value))
    return ranked[offset : offset + limit]


def _browse_ids(filters: EntityFilter, sort: str, offset: int, limit: int) -> list[tuple[int, float]]:
    where, params = _filter_sql(filters)
    order = {
        "relevance": "e.name, e.id",
        "name": "e.name, e.id",
        "-updated_at": "e.updated_at DESC, e.id DESC",
    }[sort]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.id FROM dictamesh_catalog_entity e WHERE {where} ORDER BY {order} LIMIT %s OFFSET %s",
            [*params, limit, offset],
        )
        return [(row[0], 1.0) for row in cursor.fetchall()]


def _semantic_ids(query: str, filters: EntityFilter, limit: int) -> list[tuple[int, float]]:
    where, params = _filter_sql(filters)
    vector = embed_query(query)
    floor = get_embedder().min_similarity  # below it a neighbour is noise: nonsense finds nothing
    ef = max(settings.DICTAMESH_CATALOG_SEARCH_EF, limit)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL hnsw.ef_search = {int(ef)}")
        cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")  # filters keep scanning the graph
        cursor.execute(
            "SELECT id, score FROM (SELECT e.id, 1 - (e.embedding <=> %s::vector) AS score,"
            f" e.embedding <=> %s::vector AS distance FROM dictamesh_catalog_entity e WHERE {where}"
            " AND e.embedding IS NOT NULL ORDER BY e.embedding <=> %s::vector LIMIT %s) AS nearest"
            " WHERE score >= %s ORDER BY distance, id",
            [vector, vector, *params, vector, limit, floor],
        )
        return [(pk, float(score)) for pk, score in cursor.fetchall()]


def _facets(id_sql: str, params: list) -> tuple[dict[str, list[dict]], int]:
    """Facet counts over the entities ``id_sql`` selects, in one round trip."""
    top = f"ORDER BY count(*) DESC, 2 LIMIT {FACET_LIMIT}"
    sql = f"""
        WITH ids AS MATERIALIZED ({id_sql}),
        m AS MATERIALIZED (
            SELECT e.id, e.domain_id, e.source_id, e.entity_type, e.classification, e.tags
            FROM ids JOIN dictamesh_catalog_entity e ON e.id = ids.id
        )
        (SELECT 'total', '', count(*) FROM m)
        UNION ALL (SELECT 'domain', d.name, count(*) FROM m JOIN dictamesh_catalog_domain d ON d.id = m.domain_id
                   GROUP BY d.name {top})
        UNION ALL (SELECT 'source', s.name, count(*) FROM m JOIN dictamesh_catalog_source s ON s.id = m.source_id
                   GROUP BY s.name {top})
        UNION ALL (SELECT 'type', m.entity_type, count(*) FROM m GROUP BY m.entity_type {top})
        UNION ALL (SELECT 'classification', m.classification, count(*) FROM m GROUP BY m.classification {top})
        UNION ALL (SELECT 'tag', t.tag, count(*) FROM m, unnest(m.tags) AS t(tag) GROUP BY t.tag {top})
        UNION ALL (SELECT 'owner', o.principal, count(DISTINCT o.entity_id) FROM m
                   JOIN dictamesh_catalog_owner o ON o.entity_id = m.id GROUP BY o.principal {top})
    """
    facets: dict[str, list[dict]] = {
        k: [] for k in ("domain", "source", "type", "tag", "owner", "classification")
    }
    total = 0
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for facet, value, count in cursor.fetchall():
            if facet == "total":
                total = count
            else:
                facets[facet].append({"value": value, "count": count})
    return facets, total


def _rrf(*rankings: list[tuple[int, float]]) -> list[tuple[int, float]]:
    scores: dict[int, float] = {}
    for ranking in rankings:
        for rank, (pk, _) in enumerate(ranking, start=1):
            scores[pk] = scores.get(pk, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def search(
    *,
    query: str = "",
    mode: str = "fulltext",
    filters: EntityFilter | None = None,
    sort: str = "relevance",
    first: int | None = None,
    after: str | None = None,
    facets: bool = True,
) -> SearchResult:
    filters = filters or EntityFilter()
    query = (query or "").strip()
    problems = {}
    if mode not in MODES:
        problems["mode"] = f"one of {', '.join(MODES)}"
    if sort not in SORTS:
        problems["sort"] = f"one of {', '.join(SORTS)}"
    if len(query) > MAX_QUERY:
        problems["q"] = f"at most {MAX_QUERY} characters"
    if mode != "fulltext" and not query:
        problems["q"] = f"{mode} search needs a query"
    if problems:
        raise ValidationError("The search is invalid.", fields=problems)
    size = page_size(first, default=20)
    offset = decode_cursor(after) or 0
    if not isinstance(offset, int) or offset < 0:
        raise invalid_cursor()

    facet_counts: dict[str, list[dict]] = {}
    total: int | None = None
    exact = True
    corrected = None
    if mode == "fulltext":
        with transaction.atomic():
            tsq = _typed(query) if query else None
            pool: dict = {}
            if tsq is None:
                ranked = _browse_ids(filters, sort, offset, size + 1)
            else:
                ranked = _fulltext_ids(tsq, filters, sort, offset, size + 1, pool)
                if not ranked and (fixed := _corrected(query, filters)) is not None:
                    tsq, corrected, pool = fixed, fixed.text, {}
                    ranked = _fulltext_ids(tsq, filters, sort, offset, size + 1, pool)
            if facets and "ids" in pool:  # the ranking stages already hold the matches (or a sample)
                facet_counts, total = _facets("SELECT unnest(%s::bigint[]) AS id", [pool["ids"]])
                exact = pool["exact"]
            elif facets:
                where, params = _filter_sql(filters, text=tsq is not None)
                match = f" AND e.search_vector @@ {tsq.sql}" if tsq else ""
                facet_counts, total = _facets(
                    f"SELECT e.id FROM dictamesh_catalog_entity e WHERE {where}{match} LIMIT {FACET_SCAN + 1}",
                    [*params, *(tsq.params if tsq else ())],
                )
                exact = total <= FACET_SCAN  # else: total and facets count the first FACET_SCAN + 1 matches
    else:
        if offset + size > MAX_DEPTH:
            raise ValidationError(
                f"{mode} results can be paged to {MAX_DEPTH}.", fields={"cursor": "too deep"}
            )
        pool = max(POOL, offset + size + 1)
        semantic = _semantic_ids(query, filters, pool)
        if mode == "hybrid":
            with transaction.atomic():
                lexical = _fulltext_ids(_typed(query), filters, "relevance", 0, pool)
                if not lexical and (fixed := _corrected(query, filters)) is not None:
                    corrected = fixed.text
                    lexical = _fulltext_ids(fixed, filters, "relevance", 0, pool)
            candidates = _rrf(lexical, semantic)
        else:
            candidates = semantic
        if sort in {"name", "-updated_at"}:
            candidates = _resort(candidates, sort)
        ranked = candidates[offset : offset + size + 1]
        if facets and candidates:
            facet_counts, total = _facets("SELECT unnest(%s::bigint[]) AS id", [[pk for pk, _ in candidates]])
        elif facets:
            facet_counts, total = _facets("SELECT NULL::bigint AS id", [])

    has_next = len(ranked) > size
    ranked = ranked[:size]
    entities = {e.pk: e for e in entities_queryset().filter(pk__in=[pk for pk, _ in ranked])}
    items = [
        {"entity": entity_state(entities[pk]), "score": round(score, 6)}
        for pk, score in ranked
        if pk in entities
    ]
    return SearchResult(
        items=items,
        facets=facet_counts,
        total=total,
        next_cursor=encode_cursor(offset + size) if has_next else None,
        mode=mode,
        exact=exact,
        corrected=corrected,
    )


def _resort(candidates: list[tuple[int, float]], sort: str) -> list[tuple[int, float]]:
    score = dict(candidates)
    qs = entities_queryset().filter(pk__in=list(score)).values_list("id", flat=True)
    order = qs.order_by("name", "id") if sort == "name" else qs.order_by("-updated_at", "-id")
    return [(pk, score[pk]) for pk in order]


def matching_ids(query: str, *, limit: int = 1000) -> list[int]:
    """Ids of the best full-text matches of ``query``, typos corrected (the admin's search box)."""
    with transaction.atomic():
        ranked = _fulltext_ids(_typed(query[:MAX_QUERY]), EntityFilter(), "relevance", 0, limit)
        if not ranked and (fixed := _corrected(query[:MAX_QUERY])) is not None:
            ranked = _fulltext_ids(fixed, EntityFilter(), "relevance", 0, limit)
    return [pk for pk, _ in ranked]
