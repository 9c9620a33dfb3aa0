"""PostgreSQL (with pgvector and pg_trgm) through psycopg 3."""

import os

import dj_database_url

from config.env import ENV

DEV_POSTGRES_PORT = 15432

DATABASE_URL = ENV.url(
    "DATABASE_URL",
    default=None if ENV.name == "prod" else f"postgres://postgres@127.0.0.1:{DEV_POSTGRES_PORT}/dictamesh",
    doc="PostgreSQL 16+ with the pgvector extension available, e.g. postgres://user:pass@host:5432/dictamesh.",
    schemes=("postgres", "postgresql"),
    required_in_prod=True,
)
DICTAMESH_PROCESS = ENV.str(
    "DICTAMESH_PROCESS",
    default="web",
    doc="Role of this process (web, worker, beat, events, cli): names its database connections and traces.",
)
DICTAMESH_DB_POOL = ENV.bool(
    "DICTAMESH_DB_POOL",
    # prefork Celery children must not inherit a pool (and its threads) from their parent: web only by default
    default=ENV.name == "prod" and DICTAMESH_PROCESS == "web",
    doc="Use psycopg's connection pool in this process (Django's native pooling). Default: prod web processes.",
)
DICTAMESH_DB_POOL_MAX = ENV.int(
    "DICTAMESH_DB_POOL_MAX", default=10, minimum=1, doc="Largest pool size per process when pooling is on."
)

DICTAMESH_DB_STATEMENT_TIMEOUT_MS = ENV.int(
    "DICTAMESH_DB_STATEMENT_TIMEOUT_MS",
    # web servers only: they set DICTAMESH_PROCESS=web (dictamesh dev, the image); a one-off command does not
    default=30_000 if os.environ.get("DICTAMESH_PROCESS") == "web" and ENV.name != "test" else 0,
    minimum=0,
    doc=(
        "Longest a single SQL statement of this process may run (PostgreSQL statement_timeout); a request "
        "whose statement runs longer answers 503 query_timeout. Default: 30 s in web servers (DICTAMESH_PROCESS=web "
        "set in the environment), none elsewhere (workers, migrations, consumers, commands). 0: no limit."
    ),
)
DICTAMESH_DB_PREPARE = ENV.bool(
    "DICTAMESH_DB_PREPARE",
    default=True,
    doc=(
        "Hot statements (event outbox inserts, lineage ingestion) are prepared once per connection. Turn off "
        "behind a pooler that cannot keep prepared statements (PgBouncer before 1.21 in transaction mode)."
    ),
)

DICTAMESH_DB_CONNECT_TIMEOUT = ENV.int(
    "DICTAMESH_DB_CONNECT_TIMEOUT",
    default=5,
    minimum=1,
    doc="Seconds to wait for a connection to PostgreSQL (psycopg connect_timeout): with the database "
    "unreachable, a request answers 503 database_unavailable after at most this, instead of hanging.",
)

_db = dj_database_url.parse(
    DATABASE_URL or "postgres://unset@127.0.0.1:1/unset",
    conn_max_age=0 if DICTAMESH_DB_POOL else 60,
    conn_health_checks=not DICTAMESH_DB_POOL,
)
_db["ENGINE"] = "django.db.backends.postgresql"
_db.setdefault("OPTIONS", {})["application_name"] = f"dictamesh-{DICTAMESH_PROCESS}"
_db["OPTIONS"]["connect_timeout"] = DICTAMESH_DB_CONNECT_TIMEOUT
if DICTAMESH_DB_STATEMENT_TIMEOUT_MS:
    _db["OPTIONS"]["options"] = f"-c statement_timeout={DICTAMESH_DB_STATEMENT_TIMEOUT_MS}"
# psycopg prepares a statement when asked (execute(prepare=True): dictamesh.db) and never by count; None: never
_db["OPTIONS"]["prepare_threshold"] = 2**31 - 1 if DICTAMESH_DB_PREPARE else None
if DICTAMESH_DB_POOL:
    _db["OPTIONS"]["pool"] = {"min_size": 1, "max_size": DICTAMESH_DB_POOL_MAX, "timeout": 10}
_db["TEST"] = {"NAME": f"test_{_db.get('NAME') or 'dictamesh'}"}
DATABASES = {"default": _db}
