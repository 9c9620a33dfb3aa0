"""The WSGI application: Django, with the firehose writes served before its request stack
(dictamesh.api.fastroutes, ADR 0013)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_wsgi_application()

from apps.lineage.api import FAST_ROUTES as LINEAGE_FAST_ROUTES  # noqa: E402 - Django is set up above
from dictamesh.api.fastroutes import with_fast_routes  # noqa: E402

application = with_fast_routes(django_application, {**LINEAGE_FAST_ROUTES})

from dictamesh.core.heap import settle_heap  # noqa: E402

settle_heap()  # last: what start-up made is frozen, never traversed by the GC again (dictamesh/core/heap.py)
