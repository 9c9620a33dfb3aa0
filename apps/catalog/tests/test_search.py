"""Search: full-text with weights, typos, facets, filters and cursors; semantic; hybrid."""

from __future__ import annotations

import pytest

from apps.catalog import services
from apps.catalog.inputs import entity_input
from apps.catalog.models import Entity
from apps.catalog.search import search
from apps.catalog.selectors import EntityFilter
from apps.catalog.tests.conftest import entity
from apps.catalog.vectors import entity_embeddings_refresh
from dictamesh.errors import ValidationError


@pytest.fixture
def corpus(world):
    items = [
        entity("customer_orders", description="Orders placed by customers in the web shop.", tags=["gold"],
               owners=["user:alice"]),
        entity("invoices", description="Invoices we send; each one lists the customer orders it bills.",
               domain="finance", source="erp", tags=["gold", "pii"], classification="confidential",
               owners=["user:bob"]),
        entity("shipments", description="Parcels leaving the warehouse with a carrier and tracking number.",
               source="erp", tags=["silver"], owners=["user:alice", "group:logistics"]),
        entity("payments", description="Card payments and bank transfers received.", domain="finance",
               properties={"system": "stripe"}, owners=["user:bob"]),
        entity("web_sessions", description="Clickstream sessions of visitors.", type_="topic", tags=["bronze"]),
    ]  # fmt: skip
    results = services.entities_upsert(items=items)
    entity_embeddings_refresh(ids=[r.id for r in results])


def names(result):
    return [item["entity"]["name"] for item in result.items]


def test_name_matches_outrank_description_matches(corpus):
    result = search(query="orders")
    assert names(result)[:2] == ["customer_orders", "invoices"]
    assert result.total == 2


def test_typos_still_find_names(corpus):
    assert names(search(query="shipmnets"))[0] == "shipments"
    assert "customer_orders" in names(search(query="custmer"))


def test_tags_and_string_properties_are_searchable(corpus):
    assert names(search(query="stripe")) == ["payments"]


def test_facets_count_every_match(corpus):
    result = search(query="customer")
    assert result.total == 2
    facets = {k: {v["value"]: v["count"] for v in values} for k, values in result.facets.items()}
    assert facets["domain"] == {"sales": 1, "finance": 1}
    assert facets["source"] == {"crm": 1, "erp": 1}
    assert facets["tag"] == {"gold": 2, "pii": 1}
    assert facets["owner"] == {"user:alice": 1, "user:bob": 1}
    assert facets["classification"] == {"internal": 1, "confidential": 1}
    assert facets["type"] == {"table": 2}


def test_filters_apply_to_results_and_facets(corpus):
    result = search(query="", filters=EntityFilter(domain="finance"))
    assert sorted(names(result)) == ["invoices", "payments"]
    assert {v["value"] for v in result.facets["domain"]} == {"finance"}
    assert names(search(query="", filters=EntityFilter(tags=("gold", "pii")))) == ["invoices"]
    assert sorted(names(search(query="", filters=EntityFilter(owner="user:alice")))) == [
        "customer_orders",
        "shipments",
    ]
    assert names(search(query="", filters=EntityFilter(type="topic"))) == ["web_sessions"]
    assert names(search(query="orders", filters=EntityFilter(classification="confidential"))) == ["invoices"]


def test_cursor_pages_through_every_result_once(corpus):
    seen, cursor = [], None
    while True:
        page = search(query="", sort="name", first=2, after=cursor)
        seen += names(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == sorted(seen) and len(seen) == 5
    with pytest.raises(ValidationError):
        search(query="", after="not-a-cursor!")


def test_deleted_entities_are_not_found(corpus):
    services.entity_delete(urn="dm:erp:table:shipments")
    assert search(query="shipments").items == []


def test_semantic_search_ranks_by_embedding_similarity(corpus):
    result = search(query="parcel carrier tracking", mode="semantic")
    assert names(result)[0] == "shipments"
    assert result.items[0]["score"] > result.items[-1]["score"]
    assert all(e.embedding is not None for e in Entity.objects.all())


def test_hybrid_fuses_both_rankings(corpus):
    result = search(query="customer orders", mode="hybrid")
    assert names(result)[0] == "customer_orders"
    assert set(names(result)) >= {"customer_orders", "invoices"}


def test_the_default_embedder_finds_meaning_not_only_shared_words(corpus, settings):
    from dictamesh.embeddings import minilm_available

    assert minilm_available(), "the default install ships the ONNX model and its tokenizer"
    settings.DICTAMESH_EMBEDDER = "auto"
    results = services.entities_upsert(
        items=[entity("refunds", description="Refund records of the finance domain.", domain="finance")]
    )
    entity_embeddings_refresh(ids=[r.id for r in results])
    assert names(search(query="money paid back to clients", mode="semantic"))[0] == "refunds"
    assert names(search(query="bills we send out", mode="semantic"))[0] == "invoices"


@pytest.mark.parametrize("mode", ["semantic", "hybrid"])
def test_nonsense_finds_nothing_rather_than_the_nearest_hundred(corpus, mode):
    result = search(query="zzzzqqq", mode=mode)
    assert result.items == [] and result.total == 0
    assert names(search(query="parcels and carriers", mode=mode))[0] == "shipments"  # the floor keeps answers


@pytest.mark.parametrize(
    "kwargs",
    [{"mode": "magic"}, {"mode": "semantic"}, {"query": "x" * 501}, {"sort": "colour"}, {"first": 0}],
)
def test_invalid_searches_are_refused(corpus, kwargs):
    with pytest.raises(ValidationError):
        search(**kwargs)


def test_totals_and_facets_count_a_bounded_number_of_matches_and_say_so(corpus, monkeypatch):
    from apps.catalog import search as search_module

    assert search(query="").exact is True
    monkeypatch.setattr(search_module, "FACET_SCAN", 2)
    result = search(query="")
    assert result.total == 3 and result.exact is False  # "at least 3"
    assert sum(v["count"] for v in result.facets["type"]) == 3
    assert len(result.items) == 5  # results themselves are not capped


def test_a_query_that_matches_nothing_is_corrected_from_the_names_dictionary(corpus):
    result = search(query="shipmnets")
    assert result.corrected == "shipments"
    assert names(result) == ["shipments"]
    assert result.total == 1
    assert search(query="shipments").corrected is None
    assert search(query="zzzqqqxx").items == []
    services.entity_register(entity=entity_input(entity("warehouse_stock", description="Units on hand")))
    assert names(search(query="warehuose"))[0] == "warehouse_stock"  # new names join the dictionary


def test_a_query_broader_than_the_ranked_candidates_counts_facets_over_them_and_says_so(corpus, monkeypatch):
    from apps.catalog import search as search_module

    assert search(query="orders").exact is True
    monkeypatch.setattr(search_module, "CANDIDATES", 1)
    result = search(query="orders")
    assert result.exact is False and result.total == 1
    assert sum(v["count"] for v in result.facets["domain"]) == 1
