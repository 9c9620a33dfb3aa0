"""HTTP load for the benchmarks: DictaMesh as its web role serves it (Granian), and a lean keep-alive client."""

from __future__ import annotations

import http.client
import itertools
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from benchmarks.common import ROOT


def start_server(
    *, workers: int, threads: int, app: str = "config.wsgi:application"
) -> tuple[subprocess.Popen, int]:
    """DictaMesh as the image's web role serves it (``config.wsgi`` under Granian: ``workers`` processes of
    ``threads`` threads, docker/entrypoint.sh) on a free port, once it answers. ``app``: another WSGI
    application (benchmarks.ungoverned's baseline)."""
    from dictamesh.devservices.ports import free_port

    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - our own server
        [str(Path(sys.executable).parent / "granian"), app, "--interface", "wsgi",
         "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--blocking-threads", str(threads),
         "--runtime-threads", "1", "--http", "1", "--no-ws", "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, "DICTAMESH_PROCESS": "web"},
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("DICTAMESH_BENCH_SERVER_LOG", os.devnull), "a"),  # noqa: SIM115 - the server's
        start_new_session=True,
    )  # fmt: skip
    wait_http(port)
    return server, port


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)


class Load:
    """``clients`` threads, each with a keep-alive connection, sending ``request(n)`` for ``seconds``.

    A lean HTTP/1.1 client (raw sockets, prebuilt requests, Content-Length framing) so that the load
    generator takes as little as possible of the cores the server runs on."""

    def __init__(self, port: int, auth: str, clients: int, *, prefix: str = "", content_type: str = "application/json",
                 headers: dict[str, str] | None = None, ok: tuple[int, ...] = (200, 201)):  # fmt: skip
        self.port, self.auth, self.clients = port, auth, clients
        self.prefix, self.content_type, self.headers, self.ok = prefix, content_type, headers or {}, ok

    def _encode(self, method: str, path: str, body: str | bytes | None) -> bytes:
        lines = [
            f"{method} {self.prefix}{path} HTTP/1.1",
            f"Host: 127.0.0.1:{self.port}",
            f"Authorization: {self.auth}",
            f"Accept: {self.content_type}",
            *(f"{name}: {value}" for name, value in self.headers.items()),
        ]
        payload = body.encode() if isinstance(body, str) else (body or b"")
        if body is not None:
            lines += [f"Content-Type: {self.content_type}", f"Content-Length: {len(payload)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload

    @staticmethod
    def _response(sock: socket.socket, buffer: bytearray) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            buffer += chunk
        head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        body = bytearray(rest)
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            body += chunk
        buffer[:] = body[length:]
        return status, bytes(body[:length])

    def prebuilt(self, method: str, path: str, bodies: list) -> list[bytes]:
        """Requests encoded before a run: the load generator then costs the cores no more than its sockets do
        (producers run on other machines)."""
        return [self._encode(method, path, body) for body in bodies]

    def run(self, request, seconds: float) -> float:
        """``request(n)`` → (method, path, body) for the n-th request, or a list of prebuilt requests (the run
        ends when they are used up, if before ``seconds``)."""
        counter = itertools.count()
        if isinstance(request, list):
            ready = request

            def encoded(n: int) -> bytes | None:
                return ready[n] if n < len(ready) else None
        else:

            def encoded(n: int) -> bytes | None:
                method, path, body = request(n)
                return self._encode(method, path, body)

        done: list[int] = []
        errors: list[str] = []
        deadline = time.perf_counter() + seconds

        def client() -> None:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            buffer = bytearray()
            count = 0
            try:
                while time.perf_counter() < deadline:
                    data = encoded(next(counter))
                    if data is None:
                        return
                    sock.sendall(data)
                    status, payload = self._response(sock, buffer)
                    if status not in self.ok:
                        errors.append(f"{data[:60]!r}: {status} {payload[:200]!r}")
                        return
                    count += 1
            finally:
                sock.close()
                done.append(count)

        started = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        if errors:
            raise RuntimeError(errors[0])
        self.last_count, self.last_elapsed = sum(done), elapsed
        return sum(done) / elapsed


def wait_http(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the server did not answer /healthz")
