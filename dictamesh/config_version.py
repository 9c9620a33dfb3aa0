"""Versions of the configuration processes compile and keep (notification subscriptions and templates, …).

A write bumps its name's version in its own transaction (``bump``). A reader keeps what it compiled with the
version it compiled at, and asks ``current`` before using it: one L1 hit while nothing moved, and one query
after a bump, whose invalidation reaches every process when the write commits. So a change is in force at
the next event or request in every process, not after a timer. This is the mechanism the policies use
(``apps.governance.access``), for any name. With Redis away, ``current`` reads PostgreSQL every time.
"""

from __future__ import annotations

from django.db import connection

from dictamesh.cache import TwoLevelCache

VERSIONS = TwoLevelCache("core.config_version", l1_size=lambda: 256, l1_ttl=lambda: 30)


def _from_database(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM dictamesh_core_config_version WHERE name = %s", [name])
        row = cursor.fetchone()
    return row[0] if row else 0


def current(name: str) -> int:
    """The version of ``name`` now (0 before its first bump)."""
    return VERSIONS.get(name, lambda: _from_database(name), ttl=3600)


def bump(name: str) -> None:
    """A new version of ``name``, from a sequence (a rolled-back bump's number is never given again)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO dictamesh_core_config_version (name, version)"
            " VALUES (%s, nextval('dictamesh_core_config_version_seq'))"
            " ON CONFLICT (name) DO UPDATE SET version = excluded.version",
            [name],
        )
    VERSIONS.drop([name])  # every process reads the new version once this commits
