"""The signed-in user's own API tokens, on a page: list, create (the secret shown once), revoke."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from dictamesh.errors import DictaMeshError, ValidationError

from . import services
from .selectors import api_token_list


@login_required
@require_http_methods(["GET", "POST"])
def tokens_page(request):
    issued = error = None
    fields: dict = {}
    status = 200
    if request.method == "POST":  # Django's CSRF middleware has checked the form's token
        try:
            if request.POST.get("action") == "revoke":
                token_id = request.POST.get("token", "")
                if not token_id.isdigit():
                    raise ValidationError("Pick a token to revoke.", fields={"token": "a token id"})
                services.api_token_revoke(token_id=int(token_id), actor=request.user)
            else:
                days = request.POST.get("expires_days", "").strip()
                if days and not days.isdigit():
                    raise ValidationError(
                        "Expiry is a whole number of days.", fields={"expires_days": "a whole number of days"}
                    )
                issued = services.api_token_create(
                    user=request.user,
                    name=request.POST.get("name", ""),
                    expires_days=int(days) if days else None,
                )
        except DictaMeshError as exc:
            error, fields, status = exc.message, exc.fields or {}, exc.status
    context = {
        **admin.site.each_context(request),
        "title": "Your API tokens",
        "tokens": api_token_list(user=request.user),
        "issued": issued,
        "error": error,
        "fields": fields,
        "is_nav_sidebar_enabled": False,
    }
    return render(request, "dictamesh_auth/tokens.html", context, status=status)
