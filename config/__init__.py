"""Composition root: settings, URLs, the REST API, the GraphQL schema and the Celery app."""

from .celery import app as celery_app

__all__ = ["celery_app"]
