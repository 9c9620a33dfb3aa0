"""GraphQL of the catalog: ``entity``, ``entities``, ``search``, graph queries and the write mutations."""

from .mutations import CatalogMutation
from .queries import CatalogQuery

__all__ = ["CatalogMutation", "CatalogQuery"]
