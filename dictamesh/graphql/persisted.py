"""Automatic persisted queries (Apollo's protocol): a client sends ``extensions.persistedQuery.sha256Hash``
instead of the query; an unknown hash answers ``PersistedQueryNotFound``, and the client sends the query with
its hash once, which is then kept (Redis, ``DICTAMESH_GRAPHQL_PERSISTED_DAYS``). Works over POST (JSON) and
GET (``?extensions=…``: cacheable by CDNs)."""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse

from dictamesh.redis_state import REDIS


def _key(digest: str) -> str:
    return f"dictamesh:graphql:apq:{digest}"


def _error(message: str, code: str, status: int = 200) -> JsonResponse:
    return JsonResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status=status)


def resolve(request) -> JsonResponse | None:
    """Fill in the request's query from its persisted-query hash (or keep a new one). None: go on; else the
    answer to send back (an unknown hash, a hash that does not match)."""
    if request.method == "GET":
        raw, query = request.GET.get("extensions"), request.GET.get("query")
        try:
            extensions = json.loads(raw) if raw else None
        except ValueError:
            return _error("extensions is not valid JSON.", "bad_request", 400)
        body = None
    elif request.method == "POST" and request.content_type == "application/json":
        if b"persistedQuery" not in request.body:
            return None  # the common case: no second parse of the body
        try:
            body = json.loads(request.body or b"null")
        except ValueError:
            return None  # graphene answers the malformed body
        if not isinstance(body, dict):
            return None
        extensions, query = body.get("extensions"), body.get("query")
    else:
        return None
    persisted = extensions.get("persistedQuery") if isinstance(extensions, dict) else None
    if not isinstance(persisted, dict):
        return None
    digest = persisted.get("sha256Hash")
    if persisted.get("version") != 1 or not isinstance(digest, str) or len(digest) != 64:
        return _error("persistedQuery needs version 1 and a sha256Hash.", "PERSISTED_QUERY_INVALID", 400)
    if query:
        if hashlib.sha256(query.encode()).hexdigest() != digest.lower():
            return _error("provided sha does not match query", "PERSISTED_QUERY_HASH_MISMATCH", 400)
        # Redis away: the query runs, not stored; the client sends it again next time
        REDIS.call(
            lambda: cache.set(_key(digest.lower()), query, settings.DICTAMESH_GRAPHQL_PERSISTED_DAYS * 86400)
        )
        return None
    stored = REDIS.call(lambda: cache.get(_key(digest.lower())))  # Redis away: not found, Apollo sends it
    if stored is None:
        return _error("PersistedQueryNotFound", "PERSISTED_QUERY_NOT_FOUND")
    if body is not None:
        request._body = json.dumps({**body, "query": stored}).encode()
    else:
        params = request.GET.copy()
        params["query"] = stored
        request.GET = params
    return None
