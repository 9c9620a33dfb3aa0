"""A small CRM-like REST/JSON API: the demo source ``dictamesh dev`` serves, and the REST adapter's local
counterpart in tests (with failure injection).

    GET /api/customers?page=&per_page=&updated_since=&ids=   page-numbered; ``ids=1,2`` fetches many
    GET /api/customers/{id}
    GET /api/orders?cursor=&limit=                           cursor-paginated: {"data": [...], "next": "…"}
    GET /api/invoices?page=                                  paginated by the Link header
    GET /api/health
    DELETE /api/customers/{id}                              erasure (data-subject requests)
    PATCH /api/customers/{id}                               a JSON object merged into the record

With a token set, every call needs ``Authorization: Bearer <token>`` (401 otherwise).
"""

from __future__ import annotations

import argparse
import base64
import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "John", "Margaret", "Ken"]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Backus",
    "Hamilton",
    "Thompson",
]
COUNTRIES = ["FR", "GB", "US", "DE", "NL"]


def demo_records(customers: int = 50, orders: int = 120, invoices: int = 30) -> dict[str, list[dict]]:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    people = [
        {
            "id": i,
            "name": f"{FIRST[i % 10]} {LAST[(i * 7) % 10]}",
            "email": f"customer{i}@example.com",
            "phone": f"+33 6 12 34 {i // 10 % 10}{i % 10} {i % 7}{i % 3}",
            "country": COUNTRIES[i % 5],
            "tier": ["gold", "silver", "bronze"][i % 3],
            "updated_at": (start + timedelta(hours=i)).isoformat().replace("+00:00", "Z"),
        }  # fmt: skip
        for i in range(1, customers + 1)
    ]
    bought = [
        {
            "id": f"o-{i:04d}",
            "customer_id": (i % customers) + 1,
            "amount": round(10 + (i * 37) % 500 + 0.99, 2),
            "currency": "EUR",
            "status": ["paid", "shipped", "refunded"][i % 3],
        }  # fmt: skip
        for i in range(1, orders + 1)
    ]
    billed = [
        {"number": f"INV-{i:05d}", "order_id": f"o-{i:04d}", "total": 100 + i} for i in range(1, invoices + 1)
    ]
    return {"customers": people, "orders": bought, "invoices": billed}


class DemoSource:
    """The API in a thread (``start``/``stop``); ``records`` may be changed while it runs. ``fail(prefix,
    answers)`` makes the next calls whose path starts with ``prefix`` answer each ``(status, headers)``."""

    def __init__(self, records: dict[str, list[dict]] | None = None, *, token: str | None = None,
                 host: str = "127.0.0.1", port: int = 0, auth: str = "bearer"):  # fmt: skip
        self.records = records if records is not None else demo_records()
        self.token = token
        self.auth = auth  # with a token: bearer, basic (user "demo"), api_key (X-API-Key or ?api_key=)
        self.calls: list[str] = []
        self.failures: list[tuple[str, int, dict]] = []
        self.delay = 0.0  # seconds every answer waits (a slow source)
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer((host, port), self._handler())
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/api"

    def start(self) -> DemoSource:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def fail(self, prefix: str, answers: list[tuple[int, dict]]) -> None:
        with self.lock:
            self.failures += [(prefix, status, headers) for status, headers in answers]

    def _failure(self, path: str) -> tuple[int, dict] | None:
        with self.lock:
            for index, (prefix, status, headers) in enumerate(self.failures):
                if path.startswith(prefix):
                    del self.failures[index]
                    return status, headers
        return None

    def _allowed(self, headers, query: dict) -> bool:
        if self.auth == "basic":
            expected = base64.b64encode(f"demo:{self.token}".encode()).decode()
            return headers.get("Authorization") == f"Basic {expected}"
        if self.auth == "api_key":
            return self.token in (headers.get("X-API-Key"), query.get("api_key"))
        return headers.get("Authorization") == f"Bearer {self.token}"

    def _handler(self):
        source = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16

            def log_message(self, *args):
                pass

            def _send(self, status: int, body, headers: dict | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def _guarded(self) -> tuple[list[str], dict] | None:
                """The path's parts under /api and the query, or None when the call was answered here
                (an injected failure, a refused token, a path outside /api)."""
                url = urlparse(self.path)
                query = {k: v[-1] for k, v in parse_qs(url.query).items()}
                with source.lock:
                    source.calls.append(f"{self.command} {self.path}" if self.command != "GET" else self.path)
                if source.delay:
                    time.sleep(source.delay)
                failure = source._failure(url.path)
                if failure is not None:
                    self._send(failure[0], {"error": "injected"}, failure[1])
                    return None
                if source.token and not source._allowed(self.headers, query):
                    self._send(401, {"error": "unauthorized"})
                    return None
                parts = [p for p in url.path.split("/") if p]
                if parts[:1] != ["api"]:
                    self._send(404, {"error": "not found"})
                    return None
                return parts[1:], query

            def do_GET(self):  # noqa: N802 - http.server's hook name
                found = self._guarded()
                if found is not None:
                    self._route(*found)

            def _customer(self, parts: list[str]) -> dict | None:
                if len(parts) == 2 and parts[0] == "customers":
                    for row in source.records["customers"]:
                        if str(row["id"]) == parts[1]:
                            return row
                self._send(404, {"error": "no such customer"})
                return None

            def do_DELETE(self):  # noqa: N802
                found = self._guarded()
                if found is None:
                    return
                row = self._customer(found[0])
                if row is not None:
                    with source.lock:
                        source.records["customers"] = [r for r in source.records["customers"] if r is not row]
                    self._send(204, {})

            def do_PATCH(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b"{}"
                found = self._guarded()
                if found is None:
                    return
                try:
                    changes = json.loads(body)
                except ValueError:
                    changes = None
                if not isinstance(changes, dict):
                    self._send(400, {"error": "a JSON object"})
                    return
                row = self._customer(found[0])
                if row is not None:
                    with source.lock:
                        row.update(changes)
                    self._send(200, row)

            def _route(self, parts: list[str], query: dict) -> None:
                records = source.records
                if parts == ["health"]:
                    self._send(200, {"status": "ok"})
                elif parts == ["customers"]:
                    rows = records["customers"]
                    if "ids" in query:
                        wanted = set(query["ids"].split(","))
                        self._send(200, {"customers": [r for r in rows if str(r["id"]) in wanted]})
                        return
                    if "q" in query:  # search: an exact e-mail, phone or name
                        wanted = query["q"].lower()
                        rows = [r for r in rows if wanted in (str(v).lower() for v in r.values())]
                    if "updated_since" in query:
                        rows = [r for r in rows if r["updated_at"] > query["updated_since"]]
                    page, size = int(query.get("page", 1)), int(query.get("per_page", 20))
                    self._send(200, {"customers": rows[(page - 1) * size : page * size], "page": page})
                elif len(parts) == 2 and parts[0] == "customers":
                    found = [r for r in records["customers"] if str(r["id"]) == parts[1]]
                    self._send(200, found[0]) if found else self._send(404, {"error": "no such customer"})
                elif parts == ["orders"]:
                    start, size = int(query.get("cursor") or 0), int(query.get("limit", 25))
                    rows = records["orders"][start : start + size]
                    more = start + size < len(records["orders"])
                    self._send(200, {"data": rows, "next": str(start + size) if more else None})
                elif parts == ["invoices"]:
                    page, size = int(query.get("page", 1)), 10
                    rows = records["invoices"][(page - 1) * size : page * size]
                    links = {}
                    if page * size < len(records["invoices"]):
                        links["Link"] = f'</api/invoices?page={page + 1}>; rel="next"'
                    self._send(200, rows, links)
                else:
                    self._send(404, {"error": "not found"})

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description="The demo CRM API (dictamesh dev serves it).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    source = DemoSource(host=args.host, port=args.port)
    print(f"demo source at {source.url}", flush=True)
    source.httpd.serve_forever()


if __name__ == "__main__":
    main()
