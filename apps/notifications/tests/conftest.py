"""Real local servers for the channels: an SMTP server (aiosmtpd) and an HTTP server for webhooks, each
able to fail on purpose."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dictamesh.devservices.ports import free_port
from tests.conftest import bearer, client, token, user  # noqa: F401 - shared fixtures


class SmtpInbox:
    """aiosmtpd handler: keeps what it accepts; ``refuse`` answers the next DATA commands with these codes."""

    def __init__(self):
        self.messages: list = []
        self.refuse: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        if self.refuse:
            return self.refuse.pop(0)
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture
def smtp(settings):
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.DICTAMESH_EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    yield inbox
    controller.stop()


class Receiver:
    """A local HTTP server: records each POST (headers, body) and answers from ``responses`` (then 200)."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.paths: list[str] = []  # request targets: a proxy is sent the absolute URL
        self.responses: list[tuple[int, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's hook name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.requests.append((dict(self.headers), body))
                receiver.paths.append(self.path)
                status, headers = receiver.responses.pop(0) if receiver.responses else (200, {})
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(json.dumps({"status": status}).encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()
