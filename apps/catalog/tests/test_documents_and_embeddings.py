"""Embeddings (the local embedder, the refresh, the command, the task on commit) and documents for RAG."""

from __future__ import annotations

import json
import math
from io import StringIO

import pytest
from django.core.management import call_command

from apps.catalog import services
from apps.catalog.contracts import DocumentIn, RetrieveIn
from apps.catalog.documents import chunk_text, document_attach, retrieve
from apps.catalog.inputs import entity_input
from apps.catalog.models import Entity
from apps.catalog.tests.conftest import entity, urn
from apps.catalog.vectors import entity_embeddings_refresh
from dictamesh.contracts import parse
from dictamesh.embeddings import DIMENSIONS, HashingEmbedder, get_embedder, words
from dictamesh.errors import NotFound, ValidationError


def cosine(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_hashing_embedder_is_deterministic_normalised_and_finds_shared_words():
    embedder = HashingEmbedder()
    a, b, c = embedder.embed(
        ["customer orders table", "orders placed by customers", "parcel tracking numbers"]
    )
    assert len(a) == DIMENSIONS
    assert math.isclose(sum(v * v for v in a), 1.0, rel_tol=1e-9)
    assert embedder.embed(["customer orders table"])[0] == a
    assert cosine(a, b) > cosine(a, c)
    assert words("custOrders_v2 Table") == ["cust", "orders", "v2", "table"]
    assert embedder.embed([""])[0] == [0.0] * DIMENSIONS


def test_the_default_embedder_needs_no_download(settings):
    settings.DICTAMESH_EMBEDDER = "hashing"
    assert get_embedder().name == "hashing-v1"


def test_refresh_only_recomputes_changed_text(world):
    [result] = services.entities_upsert(items=[entity("orders", description="Orders")])
    assert entity_embeddings_refresh(ids=[result.id]) == 1
    assert entity_embeddings_refresh(ids=[result.id]) == 0
    services.entity_update(urn=urn("orders"), changes=entity_input({"description": "All the orders"}))
    assert entity_embeddings_refresh(ids=[result.id]) == 1
    services.entity_update(
        urn=urn("orders"), changes=entity_input({"properties": {"a": 1}})
    )  # not embedded text
    assert entity_embeddings_refresh(ids=[result.id]) == 0


def test_a_change_enqueues_the_embedding_task_after_commit(world, django_capture_on_commit_callbacks):
    import redis
    from django.conf import settings

    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete(settings.CELERY_TASK_DEFAULT_QUEUE)
    with django_capture_on_commit_callbacks(execute=True):
        [result] = services.entities_upsert(items=[entity("orders")])
    messages = [json.loads(raw) for raw in broker.lrange(settings.CELERY_TASK_DEFAULT_QUEUE, 0, -1)]
    tasks = [(m["headers"]["task"], m["headers"]["argsrepr"]) for m in messages]
    assert ("catalog.embed_entities", f"([{result.id}],)") in tasks
    broker.delete(settings.CELERY_TASK_DEFAULT_QUEUE)


def test_reindex_command_writes_missing_embeddings_with_progress(world):
    services.entities_upsert(items=[entity(f"t{i}") for i in range(30)])
    out, err = StringIO(), StringIO()
    call_command("reindex_embeddings", "--batch", "7", stdout=out, stderr=err)
    assert "30 embeddings written" in out.getvalue()
    assert "30/30" in err.getvalue()  # the progress bar
    assert not Entity.objects.filter(embedding__isnull=True).exists()
    out = StringIO()
    call_command("reindex_embeddings", "--no-progress", stdout=out)
    assert "0 embeddings written, 30 already current" in out.getvalue()


def test_chunks_overlap_and_cover_the_text():
    text = " ".join(f"Sentence number {i} talks about topic {i % 7}." for i in range(200))
    chunks = chunk_text(text, size=300, overlap=80)
    assert len(chunks) > 10
    assert all(len(piece) <= 300 for _, piece in chunks)
    for (start_a, piece_a), (start_b, _) in zip(chunks, chunks[1:], strict=False):
        assert start_b < start_a + len(piece_a)  # each chunk starts inside the previous one: overlap
    assert chunks[-1][1].endswith("topic 3.")
    assert chunk_text("short") == [(0, "short")]
    assert chunk_text("   ") == []


def test_retrieve_returns_the_closest_chunks_with_their_entity(world):
    services.entities_upsert(items=[entity("orders"), entity("payments")])
    document_attach(
        urn=urn("orders"),
        document=parse(
            DocumentIn, {"title": "Runbook", "content": "When the nightly load fails, rerun the order sync."}
        ),
    )
    document_attach(
        urn=urn("payments"),
        document=parse(
            DocumentIn, {"title": "Glossary", "content": "A chargeback is a disputed card payment."}
        ),
    )
    hits = retrieve(question=parse(RetrieveIn, {"query": "disputed card payment chargeback", "k": 2}))
    assert hits[0]["entity"]["urn"] == urn("payments")
    assert hits[0]["score"] > hits[1]["score"]
    document_attach(
        urn=urn("payments"),
        document=parse(DocumentIn, {"title": "Glossary", "content": "Replaced text about refunds."}),
    )
    assert "chargeback" not in " ".join(
        h["text"] for h in retrieve(question=parse(RetrieveIn, {"query": "chargeback", "k": 5}))
    )
    with pytest.raises(ValidationError):
        retrieve(question=parse(RetrieveIn, {"query": "x", "k": 0}))
    with pytest.raises(NotFound):
        document_attach(urn=urn("missing"), document=parse(DocumentIn, {"title": "t", "content": "c"}))
    with pytest.raises(ValidationError):
        document_attach(urn=urn("orders"), document=parse(DocumentIn, {"title": "", "content": ""}))


def test_asking_for_minilm_without_its_package_is_a_clear_error(settings, monkeypatch):
    """A slimmed install without the model's packages: minilm is a clear error, auto falls back to hashing."""
    from dictamesh import embeddings

    real = embeddings.find_spec
    monkeypatch.setattr(embeddings, "find_spec", lambda name: None if name == "onnxruntime" else real(name))
    embeddings._load.cache_clear()
    settings.DICTAMESH_EMBEDDER = "minilm"
    try:
        with pytest.raises(RuntimeError, match="onnxruntime, tokenizers and the model package"):
            get_embedder()
        settings.DICTAMESH_EMBEDDER = "auto"
        assert get_embedder().name == "hashing-v1"
    finally:
        embeddings._load.cache_clear()
