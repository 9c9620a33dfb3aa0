"""The deployment's topics and consumers, in one place (settings.DICTAMESH_EVENTS points here)."""

from dictamesh.auth.events import TOPICS as AUTH_TOPICS
from dictamesh.events.registry import Registry

REGISTRY = Registry(
    topics=[*AUTH_TOPICS],
    consumers=[],
)
