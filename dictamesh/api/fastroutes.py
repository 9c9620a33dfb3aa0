"""Fast routes: the few firehose endpoints served before Django's request stack (ADR 0013).

``with_fast_routes(app, routes)`` wraps the WSGI application (config/wsgi.py): a request whose method and path
name a route is handled by that route's handler, everything else goes to Django unchanged. Django's
middleware costs more than half the CPU of an OpenLineage event on two cores, so the hottest writes skip it.
What a fast route keeps of the stack:

- authentication: a token is required (Bearer, or Basic ``username:token``), checked by the same function
  and cache as ``TokenAuthenticationMiddleware``; 401 with the same body and ``WWW-Authenticate``;
- the actor of the events published (``user:<name>``), and the request id (``X-Request-ID`` in and out);
- errors: a DictaMeshError becomes the API's JSON body and status; anything else is logged, sent to Sentry
  and answered 500 ``internal_error``; the request body is read at most ``max_body() + 1`` bytes;
- metrics: ``dictamesh_http_requests_total`` and ``dictamesh_http_request_duration_seconds`` under the
  route's pattern, and a server span (OpenTelemetry) when tracing is on;
- database connections of the request thread are recycled as after any Django request.

It drops what a token-authenticated JSON write never needs: sessions, CSRF (token requests are exempt
anyway), messages, clickjacking headers and django-prometheus's per-view metrics. The handler is the same
function the Django route calls, so both transports answer alike (tests run both).
"""

from __future__ import annotations

import functools
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import orjson
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, connections

from dictamesh.api.base import WRITES_NEED_A_TOKEN
from dictamesh.api.guard import unexpected_error
from dictamesh.auth import throttle
from dictamesh.auth.middleware import REASONS, authenticate, throttled_for
from dictamesh.errors import DictaMeshError, RateLimited, Unauthenticated
from dictamesh.events.context import actor_var, user_principal
from dictamesh.observability import tracing
from dictamesh.observability.context import request_id_var
from dictamesh.observability.metrics import HTTP_DURATION, HTTP_REQUESTS

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_STATUS_LINES = {status.value: f"{status.value} {status.phrase}" for status in HTTPStatus}


@dataclass
class FastRequest:
    method: str
    path: str
    environ: dict
    body: bytes
    user: Any = None
    token: Any = None

    def header(self, name: str) -> str:
        key = name.upper().replace("-", "_")
        return self.environ.get(key if key in ("CONTENT_LENGTH", "CONTENT_TYPE") else f"HTTP_{key}", "") or ""


@dataclass(frozen=True)
class FastRoute:
    """``handler(request) -> (status, JSON body)``; ``max_body()``: the largest body it takes, in bytes;
    ``pattern``: the route's name in metrics (the Django route's pattern)."""

    handler: Callable[[FastRequest], tuple[int, Any]]
    max_body: Callable[[], int]
    pattern: str
    methods: tuple[str, ...] = field(default=("POST",))


def with_fast_routes(app: Callable, routes: dict[str, FastRoute]) -> Callable:
    """``app`` with ``routes`` (path → route) served first."""

    def application(environ, start_response):
        route = routes.get(environ.get("PATH_INFO", ""))
        if route is None or environ.get("REQUEST_METHOD") not in route.methods:
            return app(environ, start_response)
        return _serve(route, environ, start_response)

    return application


def _serve(route: FastRoute, environ: dict, start_response) -> list[bytes]:
    started = time.perf_counter()
    incoming = environ.get("HTTP_X_REQUEST_ID", "")
    request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
    method = environ["REQUEST_METHOD"]
    id_token = request_id_var.set(request_id)
    try:
        with _span(method, route.pattern) as span:
            status, body, extra = _handle(route, environ, method)
            if span is not None:
                span.set_attribute("http.status_code", status)
    finally:
        request_id_var.reset(id_token)
        default = connections["default"]
        if default.connection is not None and not default.in_atomic_block:  # (a test's transaction: kept)
            close_old_connections()  # what request_finished does after a Django request
    payload = orjson.dumps(body)
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(payload))),
        ("X-Request-ID", request_id),
        *extra,
    ]
    start_response(_STATUS_LINES.get(status, f"{status} Unknown"), headers)
    counter, duration = _metrics(method, route.pattern, status)
    counter.inc()
    duration.observe(time.perf_counter() - started)
    return [payload]


@functools.cache
def _metrics(method: str, pattern: str, status: int):
    """The labelled metrics of a route and status (found once: labelling costs more than counting)."""
    return (
        HTTP_REQUESTS.labels(method=method, route=pattern, status=str(status)),
        HTTP_DURATION.labels(method=method, route=pattern),
    )


def _handle(route: FastRoute, environ: dict, method: str) -> tuple[int, Any, list[tuple[str, str]]]:
    path = environ.get("PATH_INFO", "")
    header = environ.get("HTTP_AUTHORIZATION")
    try:
        client = throttle.client_address(environ)
        token, reason = authenticate(header, client) if header else (None, None)
        if reason == "throttled":
            return RateLimited(REASONS[reason], retry_after=throttled_for(header, client) or 60).wire()
        if token is None:
            return Unauthenticated(REASONS[reason] if reason else WRITES_NEED_A_TOKEN).wire()
        request = FastRequest(method, path, environ, b"", token.user, token)
        request.body = environ["wsgi.input"].read(route.max_body() + 1)
        actor_token = actor_var.set(user_principal(token.user))
        try:
            status, body = route.handler(request)
        finally:
            actor_var.reset(actor_token)
        return status, body, []
    except DictaMeshError as exc:
        return exc.wire()
    except Exception as exc:  # noqa: BLE001 - a JSON 500, as the API answers; the error is logged and reported
        return 500, unexpected_error(method, path, exc), []


class _span:
    """A server span when tracing is on (dictamesh.observability.tracing); else nothing at all."""

    def __init__(self, method: str, pattern: str):
        self.method, self.pattern, self._cm = method, pattern, None

    def __enter__(self):
        if not tracing.enabled():
            return None
        from opentelemetry import trace

        tracer = trace.get_tracer("dictamesh.api.fastroutes")
        self._cm = tracer.start_as_current_span(
            f"{self.method} {self.pattern}",
            kind=trace.SpanKind.SERVER,
            attributes={"http.method": self.method, "http.route": self.pattern},
        )
        span = self._cm.__enter__()
        return span if span.is_recording() else None

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc) if self._cm is not None else None


# -- lean routes: Django's handler with the middleware a token-authenticated API call needs --------------------

# What a request with a token and no cookie never needs: the browser's middleware (sessions and the user of
# a session, CSRF, messages, clickjacking headers), CommonMiddleware (slash redirects: the lean URLconfs take
# both forms), and django-prometheus's per-view metrics (dictamesh_http_* still count it, by route).
LEAN_SKIPS = frozenset(
    {
        "django_prometheus.middleware.PrometheusBeforeMiddleware",
        "django_prometheus.middleware.PrometheusAfterMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    }
)


class LeanStack:
    """A Django handler (mixed into WSGIHandler, or the test client's handler) over ``settings.MIDDLEWARE``
    less ``LEAN_SKIPS`` (what tracing or WhiteNoise added stays), resolving against ``self.urlconf`` alone.
    Everything else is Django's own: the request and response objects, request_started/finished (database
    connections recycled), exception handling."""

    urlconf: str

    def load_middleware(self, is_async: bool = False) -> None:
        from django.conf import settings
        from django.core.handlers.exception import convert_exception_to_response
        from django.utils.module_loading import import_string

        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed([m for m in settings.MIDDLEWARE if m not in LEAN_SKIPS]):
            middleware = import_string(path)(handler)
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(middleware.process_template_response)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler

    def get_response(self, request):
        from django.contrib.auth.models import AnonymousUser

        request.urlconf = self.urlconf
        request.user = AnonymousUser()  # what AuthenticationMiddleware gives a request without a session
        response = super().get_response(request)
        if not response.streaming and not response.has_header("Content-Length"):  # as CommonMiddleware does
            response.headers["Content-Length"] = str(len(response.content))
        return response


class LeanHandler(LeanStack, WSGIHandler):
    def __init__(self, urlconf: str):
        self.urlconf = urlconf
        super().__init__()


def lean(environ: dict, prefixes: tuple[str, ...]) -> bool:
    """Whether a request goes the lean way: under ``prefixes``, with an Authorization header, no cookie."""
    return (
        "HTTP_AUTHORIZATION" in environ
        and not environ.get("HTTP_COOKIE")
        and environ.get("PATH_INFO", "").startswith(prefixes)
    )


def with_lean_routes(app: Callable, prefixes: tuple[str, ...], urlconf: str) -> Callable:
    """``app`` with the requests under ``prefixes`` that carry an Authorization header and no cookie served
    by a ``LeanHandler`` over ``urlconf``; the rest (browsers, sessions, anonymous reads) go to ``app``."""
    handler = LeanHandler(urlconf)

    def application(environ, start_response):
        if lean(environ, prefixes):
            return handler(environ, start_response)
        return app(environ, start_response)

    return application
