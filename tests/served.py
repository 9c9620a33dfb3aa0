"""A test client that dispatches each request as the WSGI application does (config/wsgi.py): calls that
carry a token and no cookie under the lean routes' prefixes go through the lean middleware chain
(dictamesh.api.fastroutes.LeanStack), everything else through Django's whole stack. Every test that uses the
``client`` fixture thereby tests the path production takes."""

from __future__ import annotations

from django.test import Client
from django.test.client import ClientHandler

from dictamesh.api.fastroutes import LeanStack, lean


class LeanClientHandler(LeanStack, ClientHandler):
    def __init__(self, urlconf: str, *args, **kwargs):
        self.urlconf = urlconf
        super().__init__(*args, **kwargs)


class _Dispatch:
    def __init__(self, full: ClientHandler, lean_handler: LeanClientHandler, prefixes: tuple[str, ...]):
        self.full, self.lean, self.prefixes = full, lean_handler, prefixes
        self.taken: list[str] = []  # "lean" or "full" per request, for tests of the dispatch itself

    def __call__(self, environ):
        way = "lean" if lean(environ, self.prefixes) else "full"
        self.taken.append(way)
        return (self.lean if way == "lean" else self.full)(environ)


class ServedClient(Client):
    def __init__(self, enforce_csrf_checks: bool = False, **defaults):
        super().__init__(enforce_csrf_checks, **defaults)
        from config.lean_urls import PREFIXES

        self.handler = _Dispatch(
            self.handler, LeanClientHandler("config.lean_urls", enforce_csrf_checks), PREFIXES
        )
