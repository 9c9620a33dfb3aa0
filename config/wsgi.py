"""The WSGI application: Django, with the firehose writes served before its request stack
(dictamesh.api.fastroutes, ADR 0013), and the token-authenticated calls of the lean routes through a shorter
middleware chain (ADR 0019)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from apps.lineage.api import FAST_ROUTES as LINEAGE_FAST_ROUTES  # noqa: E402 - Django is set up above
from config.lean_urls import PREFIXES as LEAN_PREFIXES  # noqa: E402
from dictamesh.api.fastroutes import with_fast_routes, with_lean_routes  # noqa: E402

application = with_fast_routes(
    with_lean_routes(django_application, LEAN_PREFIXES, "config.lean_urls"), {**LINEAGE_FAST_ROUTES}
)

from dictamesh.core.heap import settle_heap  # noqa: E402

settle_heap()  # last: what start-up made is frozen, never traversed by the GC again (dictamesh/core/heap.py)
