"""``/``: the home page. The composition root gathers what each app says needs a steward's attention."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.shortcuts import render

from apps.adapters import public as adapters
from apps.catalog import public as catalog
from apps.governance import public as governance
from apps.lineage import public as lineage
from apps.notifications import public as notifications


def attention() -> list[dict]:
    """What needs a steward's attention, each app saying its own (and the broker its dead letters)."""
    from dictamesh.events.dlq import waiting_dead_letters

    items = [*governance.attention(), *adapters.attention(), *lineage.attention(), *notifications.attention()]
    dead = waiting_dead_letters()
    if dead is None:
        items.append({"what": "dead letters (Kafka did not answer: not counted)", "count": "?", "href": ""})
    else:
        topics = ", ".join(f"{topic} ({count})" for topic, count in sorted(dead.items()))
        items.append({
            "what": "dead letters not replayed" + (f": {topics} — `dictamesh events replay --from-dlq TOPIC`"
                                                  if topics else ""),
            "count": sum(dead.values()),
            "href": "",
        })  # fmt: skip
    return items


def home(request):
    signed_in = request.user.is_authenticated
    context = {
        **admin.site.each_context(request),
        "title": "DictaMesh",
        "signed_in": signed_in,
        "graphql_path": "/" + settings.DICTAMESH_GRAPHQL_PATH.strip("/"),
        "is_nav_sidebar_enabled": False,
    }
    if signed_in or settings.DICTAMESH_ALLOW_ANONYMOUS_READ:
        context["recent"] = catalog.entities_recently_changed(request=request, limit=10)
    if signed_in and request.user.is_staff:  # counts across everyone's work: stewards only
        context["attention"] = attention()
    return render(request, "config/home.html", context)
