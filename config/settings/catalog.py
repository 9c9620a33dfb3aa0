"""The catalog: embeddings, search and the entity read cache."""

from config.env import ENV

DICTAMESH_EMBEDDER = ENV.choice(
    "DICTAMESH_EMBEDDER",
    ("auto", "hashing", "minilm"),
    default="auto",
    doc=(
        "Entity and document embeddings (384 dimensions): `minilm` is all-MiniLM-L6-v2 (int8 ONNX on "
        "onnxruntime, offline, no PyTorch), `hashing` the deterministic feature-hashing fallback, `auto` "
        "minilm when its packages are installed. Changing it needs `manage.py reindex_embeddings --all`."
    ),
)
DICTAMESH_CATALOG_L1_SIZE = ENV.int(
    "DICTAMESH_CATALOG_L1_SIZE",
    default=10000,
    minimum=0,
    doc="Entities each process keeps in its in-memory (L1) cache; 0 turns L1 off.",
)
DICTAMESH_CATALOG_L1_TTL_SECONDS = ENV.int(
    "DICTAMESH_CATALOG_L1_TTL_SECONDS",
    default=30,
    minimum=1,
    doc="Longest an L1 entry lives, a bound on staleness should an invalidation message be lost.",
)
DICTAMESH_CATALOG_SEARCH_EF = ENV.int(
    "DICTAMESH_CATALOG_SEARCH_EF",
    default=300,
    minimum=10,
    doc="pgvector `hnsw.ef_search` for semantic search: higher finds more true neighbours, slower.",
)
DICTAMESH_CATALOG_BULK_MAX = ENV.int(
    "DICTAMESH_CATALOG_BULK_MAX",
    default=10000,
    minimum=1,
    doc="Most entities one bulk upsert call accepts (they are written in batches of 1,000).",
)
DICTAMESH_CATALOG_BULK_WORKERS = ENV.int(
    "DICTAMESH_CATALOG_BULK_WORKERS",
    default=2,
    minimum=1,
    doc=(
        "Database connections one bulk upsert writes its batches on at once (when not called inside a "
        "transaction); 1 writes them one after another."
    ),
)
