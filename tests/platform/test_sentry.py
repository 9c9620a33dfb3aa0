"""Sentry: on when SENTRY_DSN is set; unexpected errors reach it, expected domain errors do not."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.fakes import FakeSentry

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import django
    django.setup()
    import sentry_sdk
    from graphql import GraphQLError
    from dictamesh.errors import NotFound
    from dictamesh.graphql.view import format_graphql_error

    assert sentry_sdk.get_client().is_active()
    print(format_graphql_error(GraphQLError("x", original_error=NotFound("expected")))["extensions"]["code"])
    print(format_graphql_error(GraphQLError("x", original_error=RuntimeError("boom-7f3a")))["extensions"]["code"])
    sentry_sdk.flush(10)
    """
)


def test_unexpected_errors_are_reported_to_sentry():
    with FakeSentry() as sentry:
        env = {**os.environ, "SENTRY_DSN": sentry.dsn(42), "DICTAMESH_PROCESS": "web"}
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr[-3000:]
        assert result.stdout.split() == ["not_found", "internal_error"]
        envelopes = [body for path, _headers, body in sentry.requests if path.startswith("/api/42/envelope/")]
        reported = b"\n".join(envelopes)
        assert b"boom-7f3a" in reported
        assert b"expected" not in reported.replace(b"expected failure", b"")
        assert b'"environment":"test"' in reported.replace(b" ", b"")
