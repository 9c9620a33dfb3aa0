"""Request id, request timing and per-route metrics."""

from __future__ import annotations

import functools
import re
import time
import uuid

from .context import request_id_var
from .metrics import HTTP_DURATION, HTTP_REQUESTS

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestContextMiddleware:
    """Take X-Request-ID from the caller when it is sane, else make one; echo it on the response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        request._dictamesh_started = time.perf_counter()
        token = request_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RouteMetricsMiddleware:
    """dictamesh_http_requests_total and dictamesh_http_request_duration_seconds by route pattern and status."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        route = (
            f"/{match.route}"
            if match is not None and match.route
            else ("unmatched" if match is None else "/")
        )
        counter, duration = _route_metrics(request.method, route, response.status_code)
        counter.inc()
        started = getattr(request, "_dictamesh_started", None)
        if started is not None:
            duration.observe(time.perf_counter() - started)
        return response


@functools.lru_cache(maxsize=4096)  # routes are patterns, methods and statuses few: a bounded set
def _route_metrics(method: str, route: str, status: int):
    return (
        HTTP_REQUESTS.labels(method=method, route=route, status=str(status)),
        HTTP_DURATION.labels(method=method, route=route),
    )
