"""The adapter protocol: lifecycle, health, discovery, sync, live fetch, optional capabilities, errors.

A sync yields batches of changes. Each change describes one entity as the source has it now (or says it is
gone); DictaMesh turns it into a catalog entity under the adapter instance's source system. A batch carries
the checkpoint to resume from once it is stored, so an interrupted or incremental sync starts where the last
stored batch ended.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .config import AdapterConfig
from .errors import AdapterError, ConfigError, PermanentError, RetryableError  # noqa: F401 - part of the protocol


@dataclass(frozen=True)
class EntityType:
    """A kind of entity the source holds: its name, a JSON Schema of its records when known, its key, and the
    relationships its records have to other types (``(predicate, target type)``)."""

    name: str
    description: str = ""
    schema: dict | None = None  # JSON Schema of a record
    key: tuple[str, ...] = ("id",)
    relationships: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "schema": self.schema, "key": list(self.key),
                "relationships": [{"predicate": p, "target": t} for p, t in self.relationships]}  # fmt: skip


@dataclass(frozen=True)
class Relationship:
    """``source_key`` (of ``source_type``) → ``target_key`` (of ``target_type``) in the same source system,
    or ``target_urn`` elsewhere."""

    type: str
    source_type: str
    source_key: str
    target_type: str = ""
    target_key: str = ""
    target_urn: str = ""
    properties: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Change:
    """One entity as the source has it now (``deleted``: gone from the source)."""

    type: str
    key: str
    name: str = ""
    description: str = ""
    properties: dict = field(default_factory=dict)
    owners: tuple[str, ...] = ()  # principals: user:<name>, group:<name>
    tags: tuple[str, ...] = ()
    schemas: dict[str, str] = field(default_factory=dict)  # {"JSON": text, "AVRO": text}: its data contract
    contract: str = ""  # an existing registry subject that is its data contract (when it exists)
    relationships: tuple[Relationship, ...] = ()
    deleted: bool = False


@dataclass(frozen=True)
class SyncBatch:
    changes: list[Change]
    checkpoint: dict | None = None  # where to resume once this batch is stored
    total: int | None = None  # how many changes the whole sync will yield, when known (a progress bar)


@dataclass(frozen=True)
class Health:
    ok: bool
    detail: str = ""
    latency_ms: float | None = None


class Metrics:
    """Hooks the runner gives an adapter: ``observe(operation, seconds, outcome)``; ``count(name, n)``."""

    def observe(self, operation: str, seconds: float, outcome: str) -> None:  # pragma: no cover - a no-op
        return None

    def count(self, name: str, value: int = 1) -> None:  # pragma: no cover - a no-op
        return None


class Adapter:
    """Subclass this. ``kind``: the registry name; ``Config``: the pydantic model of the configuration.

    Required: ``health``, ``discover``, ``sync``, ``fetch``. Optional capabilities are the methods a subclass
    overrides among ``search``, ``sample`` and ``erase`` (``capabilities()`` lists them).
    """

    kind: ClassVar[str] = ""
    title: ClassVar[str] = ""
    Config: ClassVar[type[AdapterConfig]] = AdapterConfig

    def __init__(self, config: AdapterConfig, *, instance: str = "", metrics: Metrics | None = None):
        self.config = config
        self.instance = instance or self.kind
        self.metrics = metrics or Metrics()

    # -- lifecycle -------------------------------------------------------------------------------------
    def start(self) -> None:
        """Open connections, warm up. Called before the first operation."""

    def stop(self) -> None:
        """Release what ``start`` took. Called once, even after a failure."""

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # -- required --------------------------------------------------------------------------------------
    def health(self) -> Health:
        raise NotImplementedError

    def discover(self) -> list[EntityType]:
        raise NotImplementedError

    def sync(self, *, checkpoint: dict | None = None, full: bool = False) -> Iterator[SyncBatch]:
        """Changes since ``checkpoint`` (all of them when ``full`` or without one), in batches."""
        raise NotImplementedError

    def fetch(self, entity_type: str, keys: list[str]) -> dict[str, dict | None]:
        """Live records by key, in one call to the source where it can: ``{key: record or None}``."""
        raise NotImplementedError

    # -- optional capabilities -------------------------------------------------------------------------
    def search(self, entity_type: str, query: str, *, limit: int = 20) -> list[dict]:
        raise NotImplementedError

    def sample(self, entity_type: str, *, limit: int = 100) -> list[dict]:
        """Some records, for PII detection."""
        raise NotImplementedError

    def erase(self, entity_type: str, keys: list[str]) -> dict:
        """Erase records by key (data-subject requests) as the source's configuration says (delete,
        anonymize, tombstone): ``{"action": …, "records": n, …}`` — what was done, for the certificate."""
        raise NotImplementedError

    def record_key(self, entity_type: str, record: dict) -> str | None:
        """The key of a record ``search`` or ``fetch`` returned (its ``id`` unless the source says otherwise)."""
        key = record.get("id") if isinstance(record, dict) else None
        return None if key is None else str(key)

    def related(self, entity_type: str, keys: list[str]) -> dict[str, list[str]]:
        """Records of other types in this source that point at these (foreign keys): ``{type: [keys]}``."""
        return {}

    @classmethod
    def capabilities(cls) -> list[str]:
        return [
            name for name in ("search", "sample", "erase") if getattr(cls, name) is not getattr(Adapter, name)
        ]

    # -- helpers ---------------------------------------------------------------------------------------
    def timed(self, operation: str, call, *args, **kwargs) -> Any:
        """Run ``call`` and report its duration and outcome (ok, retryable, permanent) to the metrics hooks."""
        started = time.perf_counter()
        outcome = "ok"
        try:
            return call(*args, **kwargs)
        except AdapterError as exc:
            outcome = "retryable" if exc.retryable else "permanent"
            raise
        except Exception:
            outcome = "error"
            raise
        finally:
            self.metrics.observe(operation, time.perf_counter() - started, outcome)
