"""The embedded PostgreSQL's settings: shared_buffers can be raised for benchmarks."""

from __future__ import annotations

from dictamesh.devservices.postgres import EmbeddedPostgres


def test_shared_buffers_follow_the_environment(tmp_path, monkeypatch):
    server = EmbeddedPostgres(tmp_path / "pg", 5999, ephemeral=True)
    assert "shared_buffers=128MB" in server.prepare()
    monkeypatch.setenv("DICTAMESH_DEV_PG_SHARED_BUFFERS", "1GB")
    assert "shared_buffers=1GB" in server.prepare()
