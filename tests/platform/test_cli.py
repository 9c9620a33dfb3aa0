"""The `dictamesh` command as a person meets it: help that names `dictamesh` and lists every subcommand, and a
failure as one clear line with exit 1, never a traceback or silence."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.db import connection

DICTAMESH = str(Path(sys.executable).parent / "dictamesh")


def run(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [DICTAMESH, *args], env={**os.environ, **env}, capture_output=True, text=True, timeout=120
    )


def database_url(name: str | None = None) -> str:
    params = connection.settings_dict
    return f"postgres://{params['USER']}@{params['HOST']}:{params['PORT']}/{name or params['NAME']}"


@pytest.mark.parametrize("command", ["adapter", "events"])
def test_help_names_dictamesh_and_shows_only_its_own_options(command):
    shown = run(command, "--help")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith(f"usage: dictamesh {command}")
    assert "manage.py" not in shown.stdout
    for django_option in ("--settings", "--pythonpath", "--traceback", "--verbosity"):
        assert django_option not in shown.stdout


def test_adapter_help_lists_every_subcommand_and_new_runs_the_scaffold(tmp_path):
    shown = run("adapter", "--help")
    assert "{list,sync,test,new}" in shown.stdout
    scaffold = run("adapter", "new", "--help")
    assert scaffold.returncode == 0, scaffold.stderr
    assert "usage:" in scaffold.stdout and "adapter" in scaffold.stdout


def test_test_help_prints_help_without_starting_services():
    shown = run("test", "--help")
    assert shown.returncode == 0, shown.stderr
    assert "services up" not in shown.stderr  # help does not start PostgreSQL, Redis and Kafka first


@pytest.mark.django_db
def test_replaying_a_dead_letter_topic_that_does_not_exist_says_so_and_fails():
    topic = f"nosuch.{uuid.uuid4().hex[:8]}"
    replay = run("events", "replay", "--from-dlq", topic, DATABASE_URL=database_url())
    assert replay.returncode == 1
    assert f"No dead-letter topic '{topic}.dlq' on the broker" in replay.stderr
    assert "Traceback" not in replay.stderr


@pytest.mark.django_db
def test_a_database_that_cannot_be_reached_is_one_clear_line():
    params = connection.settings_dict
    unreachable = f"postgres://{params['USER']}@127.0.0.1:1/{params['NAME']}"
    listed = run("adapter", "list", DATABASE_URL=unreachable)
    assert listed.returncode == 1
    assert "cannot reach PostgreSQL at 127.0.0.1:1" in listed.stderr and "Traceback" not in listed.stderr


@pytest.mark.django_db
def test_a_database_without_dictamesh_tables_says_to_migrate():
    empty = f"dm_empty_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url(), autocommit=True) as admin:  # CREATE DATABASE needs no transaction
        admin.execute(f'CREATE DATABASE "{empty}"')
        try:
            listed = run("adapter", "list", DATABASE_URL=database_url(empty))
        finally:
            admin.execute(f'DROP DATABASE "{empty}" WITH (FORCE)')
    assert listed.returncode == 1
    assert "no DictaMesh tables yet" in listed.stderr and "migrate" in listed.stderr
    assert "Traceback" not in listed.stderr
