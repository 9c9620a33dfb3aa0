"""The catalog's pages for people: search with facets (the REST search, governed, as a page)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render

from dictamesh.errors import DictaMeshError

from . import governed, search
from .search import MODES
from .selectors import EntityFilter

FACETS = ("domain", "source", "type", "tag", "owner", "classification")


def search_page(request):
    """``/search?q=&mode=&domain=…``: relevance-ranked results, facets that narrow, typo correction."""
    if not request.user.is_authenticated and not settings.DICTAMESH_ALLOW_ANONYMOUS_READ:
        return redirect_to_login(request.get_full_path())
    query = request.GET.get("q", "").strip()
    mode = request.GET.get("mode", "hybrid" if query else "fulltext")
    chosen = {name: request.GET.get(name, "").strip() for name in FACETS}
    context = {
        **admin.site.each_context(request),
        "title": "Search the catalog",
        "query": query,
        "mode": mode,
        "modes": MODES,
        "chosen": {k: v for k, v in chosen.items() if v},
        "is_nav_sidebar_enabled": False,
    }
    status = 200
    try:
        filters = EntityFilter(
            visible=governed.visible(request),
            domain=chosen["domain"] or None,
            source=chosen["source"] or None,
            type=chosen["type"] or None,
            tags=(chosen["tag"],) if chosen["tag"] else (),
            owner=chosen["owner"] or None,
            classification=chosen["classification"] or None,
        )
        result = search.search(
            query=query, mode=mode, filters=filters, first=20, after=request.GET.get("cursor") or None
        )
    except DictaMeshError as exc:
        context["error"], status = exc.message, exc.status
    else:
        base = {"q": query, "mode": mode, **context["chosen"]}
        context.update(
            hits=governed.hits(request, result.items),
            total=result.total,
            exact=result.exact,
            corrected=result.corrected,
            facets=[
                {
                    "name": name,
                    "values": [
                        {
                            **value,
                            "selected": chosen[name] == value["value"],
                            "href": "?"
                            + urlencode(
                                {**base, name: "" if chosen[name] == value["value"] else value["value"]}
                            ),
                        }
                        for value in result.facets.get(name, [])
                    ],
                }
                for name in FACETS
                if result.facets.get(name)
            ],  # fmt: skip
            next_href="?" + urlencode({**base, "cursor": result.next_cursor}) if result.next_cursor else None,
        )
    return render(request, "catalog/search.html", context, status=status)
