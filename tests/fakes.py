"""Local stand-ins for third-party endpoints, speaking their real protocols (never DictaMesh's own services)."""

from __future__ import annotations

import gzip
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _Server:
    handler_class: type[BaseHTTPRequestHandler]

    def __init__(self):
        self.requests: list[tuple[str, dict, bytes]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(self.handler_class):  # type: ignore[misc, valid-type]
            server_owner = outer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
    if handler.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return body


class _OTLPHandler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - a plain endpoint for outgoing-HTTP tracing tests
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def do_POST(self):  # noqa: N802 - http.server API
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
            ExportTraceServiceRequest,
            ExportTraceServiceResponse,
        )

        body = _read_body(self)
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        owner = self.server_owner
        with owner.lock:
            for resource_spans in request.resource_spans:
                resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        owner.spans.append(
                            {
                                "name": span.name,
                                "trace_id": span.trace_id.hex(),
                                "span_id": span.span_id.hex(),
                                "parent_span_id": span.parent_span_id.hex(),
                                "service": resource.get("service.name"),
                                "process": resource.get("dictamesh.process"),
                                "scope": scope_spans.scope.name,
                            }
                        )
        payload = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class FakeOTLPCollector(_Server):
    """An OTLP/HTTP (protobuf) trace receiver at /v1/traces."""

    handler_class = _OTLPHandler

    def __init__(self):
        self.spans: list[dict] = []
        super().__init__()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"


class _SentryHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server API
        body = _read_body(self)
        with self.server_owner.lock:
            self.server_owner.requests.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"id": "0"}')


class FakeSentry(_Server):
    """Sentry's envelope endpoint (/api/<project>/envelope/)."""

    handler_class = _SentryHandler

    def dsn(self, project: int = 1) -> str:
        return f"http://publickey@127.0.0.1:{self.port}/{project}"


class _Captured:
    def __init__(self, path: str, headers: dict, body: bytes):
        self.path, self.headers, self.body = path, headers, body


class _WebhookHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server API
        body = _read_body(self)
        owner = self.server_owner
        with owner.lock:
            owner.requests.append(_Captured(self.path, dict(self.headers), body))
        self.send_response(owner.status)
        self.send_header("Content-Length", "0")
        self.end_headers()


class FakeWebhook(_Server):
    """Any HTTP receiver of webhooks: records each POST, answers ``status``."""

    handler_class = _WebhookHandler

    def __init__(self, status: int = 200):
        self.status = status
        super().__init__()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"
