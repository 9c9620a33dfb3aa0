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
begins (Django's ``request_started``) with a collection when the requests before left ``COLLECT_AT``
objects or more (a GraphQL list query leaves about 2,000, a schema read by id about 85: collecting before
each of those cost the registry a third of its reads per second). That collection is of the youngest
generation; every ``MIDDLE_EVERY``-th also of the middle one, every ``FULL_EVERY``-th of the whole heap.
What is still alive when a request begins (the previous request's response, whoever holds it) is promoted
one generation at a time and is mostly gone before the middle one is collected. Measured, with the
benchmarks' in-process client: collecting the two young generations before every request (or after each,
at ``request_finished``, the request and its response still alive) promoted those objects to the oldest
generation, to be freed by the next full collection as 100,000+ objects of garbage (50–140 ms pauses in
the gateway benchmark); collecting the middle one every 10th only left it so large that those collections
moved the 100-entity query's p95 from 27 to 36 ms. Every 3rd: the 100-entity query's median fell from 26
to 21 ms and its p95 from 35 to 27 ms; the gateway's warm p95 from 15.6 to 10.0 ms, its slowest of 200
from 50 ms to 35–60 ms.
"""

from __future__ import annotations

import gc
import importlib
import itertools

SAFETY_THRESHOLD = 50_000  # allocations before the collector runs anyway (a long request's cycles)
COLLECT_AT = 1_000  # young objects left by the requests before, for a request to begin with a collection
MIDDLE_EVERY = 3  # collections between two of the middle generation (with the youngest)
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
    count = next(_collections)
    gc.collect(2 if count % FULL_EVERY == 0 else 1 if count % MIDDLE_EVERY == 0 else 0)
