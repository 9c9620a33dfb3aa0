"""The REST surface: one NinjaAPI with DictaMesh authentication and errors mapped once."""

from .base import SAFE_METHODS, TokenAuth, build_api

__all__ = ["SAFE_METHODS", "TokenAuth", "build_api"]
