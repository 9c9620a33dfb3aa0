"""The web process's heap after start-up: collected once, then frozen (``gc.freeze``).

A web worker holds a large, long-lived heap (modules, the GraphQL schema, settings, compiled policies) and
each request allocates many short-lived objects. Python's cyclic collector then runs full collections over
the whole heap every few seconds under load: 100-200 ms pauses, measured as a 150 ms p95 on a 30 ms median
(benchmarks/gateway_live.py). Frozen objects are never traversed again; the p95 fell to 35 ms.

What is left is the collector running *inside* requests: a GraphQL list query holds some 50,000 objects
while it runs, the default threshold (700 allocations) collects the youngest generation about fifteen times
per such request, and every collection that reaches the older generations traverses the whole request in
flight (7–10 ms, measured: the bulk of the p95 over the median). So a web process collects between requests
instead (``collect_between_requests``): the automatic threshold is raised to a safety net, and a request
begins (Django's ``request_started``) by collecting the two young generations when they hold ``COLLECT_AT``
objects or more (a GraphQL list query leaves about 2,000; a schema read by id about 85, so such reads
collect every dozen requests, not at each: collecting at every one cost the registry a third of its reads
per second). The young generations then hold what the previous requests left: its objects are gone by then,
where at ``request_finished`` the request and its response are still alive, would be promoted, and would
pile up as 100,000+ objects of garbage for the next full collection (60–90 ms, measured). The whole heap is
collected every ``FULL_EVERY`` of these collections (about 1 ms). The 100-entity query's median fell from 26
to 22 ms, its p95 from 35 to 25 ms, its slowest of 100 from 40–55 to 25–35 ms.
"""

from __future__ import annotations

import gc
import importlib
import itertools

SAFETY_THRESHOLD = 50_000  # allocations before the collector runs anyway (a long request's cycles)
COLLECT_AT = (
    1_000  # objects allocated (and not freed) since the last collection for a request to begin with one
)
FULL_EVERY = 100  # collections between two of the whole (unfrozen) heap
_collections = itertools.count(1)


def settle_heap() -> bool:
    """Load the request path (URLs, views, the GraphQL schema), collect, and freeze what exists. Returns
    whether it froze (``DICTAMESH_GC_FREEZE``)."""
    from django.conf import settings

    if not settings.DICTAMESH_GC_FREEZE:
        return False
    importlib.import_module(settings.ROOT_URLCONF)
    importlib.import_module(settings.GRAPHENE["SCHEMA"].rsplit(".", 1)[0])
    gc.collect()
    gc.freeze()
    if settings.DICTAMESH_GC_BETWEEN_REQUESTS:
        collect_between_requests()
    return True


def collect_between_requests() -> None:
    """Collect between requests rather than during them (see the module's docstring)."""
    from django.core.signals import request_started

    _, middle, old = gc.get_threshold()
    gc.set_threshold(SAFETY_THRESHOLD, middle, old)
    request_started.connect(_before_request, dispatch_uid="dictamesh.core.heap")


def _before_request(**_kwargs) -> None:
    if gc.get_count()[0] < COLLECT_AT:
        return  # small requests (a schema by id): the young generation waits for more
    gc.collect(2 if next(_collections) % FULL_EVERY == 0 else 1)
