"""Writes each request's access audit when the request ends: no sensitive read goes unrecorded.

Should the audit not be written (the database failing), the response is withheld: a 503 replaces it.
"""

from __future__ import annotations

import logging

from django.http import JsonResponse

from .access import Access

logger = logging.getLogger("dictamesh.governance")


class AccessAuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        access: Access | None = request.__dict__.get("_dictamesh_access")
        if access is not None:
            try:
                access.flush()
            except Exception:
                logger.exception(
                    "the access audit of %s %s could not be written", request.method, request.path
                )
                body = {
                    "code": "audit_unavailable",
                    "message": "The access audit could not be written, so the response is withheld. Retry later.",
                }
                return JsonResponse(body, status=503)
        return response
