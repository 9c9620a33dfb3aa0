"""What a signed-in browser may do with the API: read, and write when the request passes Django's CSRF check.

An API token may always write (no cookie is involved, so CSRF cannot be). A session cookie is sent by the
browser on any site's behalf, so a write carried only by a session must prove it came from a DictaMesh page:
the ``X-CSRFToken`` header (or the form's ``csrfmiddlewaretoken``) matching the ``csrftoken`` cookie, and an
Origin or Referer DictaMesh trusts — Django's own check, run here because the API views are CSRF-exempt
for token callers.
"""

from __future__ import annotations

from django.middleware.csrf import CsrfViewMiddleware

from dictamesh.errors import PermissionDenied

_CSRF = CsrfViewMiddleware(lambda request: None)

CSRF_MISSING = (
    "This write comes from a signed-in session without a valid CSRF token: send the `csrftoken` cookie's value "
    "in the X-CSRFToken header (DictaMesh's pages and GraphiQL do), or use an API token."
)


def signed_in(request) -> bool:
    user = getattr(request, "user", None)
    return user is not None and user.is_authenticated


def session_write_allowed(request) -> bool:
    """May this request write as its signed-in session's user? Raises PermissionDenied when the session is
    there but the CSRF check fails; False when there is no session (the caller then needs a token)."""
    if getattr(request, "auth_token", None) is not None or not signed_in(request):
        return False
    refusal = _CSRF.process_view(request, None, (), {})
    if refusal is not None:
        raise PermissionDenied(CSRF_MISSING)
    return True
