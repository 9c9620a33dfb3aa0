"""The adapter SDK: what a source-system plugin implements, and how DictaMesh finds and runs it.

An adapter describes (``discover``) and copies (``sync``) a source system's metadata into the catalog, and
fetches its live records (``fetch``) for the GraphQL gateway. Built-in kinds live next to this module;
third-party ones are installed packages that declare an entry point in the ``dictamesh.adapters`` group.
This package never imports ``apps``: the adapters app (apps/adapters) runs adapters and writes what they
yield into the catalog and the schema registry.
"""

from .base import (
    Adapter,
    AdapterError,
    Change,
    ConfigError,
    EntityType,
    Health,
    PermanentError,
    Relationship,
    RetryableError,
    SyncBatch,
)
from .config import AdapterConfig, EnvSecret
from .registry import available, create, get

DataProductAdapter = Adapter  # the protocol's name in the plan: what every adapter implements

__all__ = [
    "Adapter",
    "AdapterConfig",
    "AdapterError",
    "Change",
    "ConfigError",
    "DataProductAdapter",
    "EntityType",
    "EnvSecret",
    "Health",
    "PermanentError",
    "Relationship",
    "RetryableError",
    "SyncBatch",
    "available",
    "create",
    "get",
]
