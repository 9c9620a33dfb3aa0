"""Dead letters replayed to their topic and handled; the events inspector."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection

from dictamesh.events.consumers import ConsumerRunner
from dictamesh.events.dlq import replay_dead_letters
from dictamesh.events.outbox import Change, publish_many
from dictamesh.events.relay import OutboxRelay
from tests.events.conftest import read_topic

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def test_dead_letters_replayed_after_a_fix_are_handled(stream, tmp_path):
    events = publish_many(
        [
            Change(stream.type("created"), "dm:o:1", {"fail_times": 3}),
            Change(stream.type("created"), "dm:o:2", {"n": 2}),
        ]
    )
    OutboxRelay().drain()
    runner = ConsumerRunner(stream.consumer)
    stats = runner.run(idle_timeout=2)
    assert stats.dead_lettered == 1 and stats.handled == 1  # 3 failures = max_attempts
    assert not Group.objects.filter(name=events[0].id).exists()

    # the cause is gone now (the handler's 4th attempt succeeds); nothing newer than tomorrow is replayed
    assert replay_dead_letters(stream.topic.name, since=datetime.now(UTC) + timedelta(days=1)).replayed == 0
    # it ends once it has read what was there when it began, not after idling (here: never idle enough)
    result = replay_dead_letters(stream.topic.name, from_beginning=True, idle=3600)
    assert result.replayed == 1 and result.topics == {stream.topic.name} and result.caught_up
    again = ConsumerRunner(stream.consumer).run(idle_timeout=2)
    assert again.handled == 1 and again.duplicates == 0
    assert Group.objects.filter(name=events[0].id).exists()
    replayed = read_topic(stream.topic.name, expected=3)
    marked = [r for r in replayed if any(k == "dm_replayed_from" for k, _ in r.headers() or [])]
    assert len(marked) == 1 and dict(marked[0].headers())["ce_id"].decode() == events[0].id


def test_dlq_replay_command_replays_only_new_letters(stream):
    publish_many([Change(stream.type("created"), "dm:o:1", {"poison": True})])
    OutboxRelay().drain()
    ConsumerRunner(stream.consumer).run(idle_timeout=2)
    out = StringIO()
    call_command("dlq_replay", stream.topic.name, stdout=out)
    assert "replayed 1" in out.getvalue()
    out = StringIO()
    call_command("dlq_replay", f"{stream.topic.name}.dlq", stdout=out)
    assert "replayed 0" in out.getvalue()


def test_the_home_page_tells_stewards_of_dead_letters_until_they_are_replayed(stream, client):
    from django.contrib.auth import get_user_model

    from dictamesh.events import dlq

    publish_many([Change(stream.type("created"), "dm:o:1", {"poison": True})])
    OutboxRelay().drain()
    ConsumerRunner(stream.consumer).run(idle_timeout=2)
    dlq._waiting_memo.clear()
    letters = f"{stream.topic.name}.dlq"
    assert dlq.waiting_dead_letters()[letters] == 1
    client.force_login(get_user_model().objects.create_user("sam", password="x" * 20, is_staff=True))
    page = client.get("/").content.decode()
    assert f"{letters} (1)" in page and "dictamesh events replay --from-dlq" in page
    replay_dead_letters(stream.topic.name)
    dlq._waiting_memo.clear()
    assert letters not in dlq.waiting_dead_letters()  # replayed: nothing waits
    client.force_login(get_user_model().objects.create_user("pat", password="x" * 20))
    assert "dead letters" not in client.get("/").content.decode()  # counts across everyone's work: stewards'


def test_events_show(stream):
    (event,) = publish_many([Change(stream.type("created"), "dm:o:5", {"n": 5}, after={"n": 5})])
    out = StringIO()
    call_command("events", "show", event.id, stdout=out)
    body = json.loads(out.getvalue())
    assert body["subject"] == "dm:o:5" and body["after"] == {"n": 5} and body["published"] == "pending"


def test_events_tail_prints_decoded_events(stream):
    env = {
        **os.environ,
        "DICTAMESH_TEST_APP": stream.app,
        "DATABASE_URL": _test_database_url(),
        "DICTAMESH_EVENTS_REGISTRY": "tests.events.registry",
    }
    script = (
        "import django, sys; django.setup(); from django.core.management import call_command; "
        "call_command('events', 'tail', '--topic', sys.argv[1], '--type', sys.argv[2], '--max', '2', "
        "'--timeout', '60')"
    )
    tail = subprocess.Popen(
        [sys.executable, "-c", script, stream.topic.name, stream.type("shipped")],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    # wait (with a deadline, never a fixed sleep) until it has joined and knows where each partition starts
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in tail.stderr], daemon=True).start()
    deadline, said = time.monotonic() + 90, []
    while not any(line.startswith("ready:") for line in said) and time.monotonic() < deadline:
        with contextlib.suppress(queue.Empty):
            said.append(lines.get(timeout=1))
    assert any(line.startswith("ready:") for line in said), said

    def publish_later():
        publish_many(
            [
                Change(stream.type("created"), "dm:o:1", {"n": 1}),
                Change(stream.type("shipped"), "dm:o:1", {"n": 2}),
                Change(stream.type("shipped"), "dm:o:2", {"n": 3}),
            ]
        )
        OutboxRelay().drain()
        connection.close()

    worker = threading.Thread(target=publish_later)
    worker.start()
    worker.join()
    assert tail.wait(timeout=90) == 0, said  # stderr is read by the thread; stdout holds two events
    out = tail.stdout.read()
    decoder = json.JSONDecoder()
    printed, index = [], 0
    while index < len(out.strip()):
        obj, end = decoder.raw_decode(out.strip(), index)
        printed.append(obj)
        index = end + 1
    assert sorted(p["data"]["n"] for p in printed) == [
        2,
        3,
    ]  # two keys, two partitions: no order between them
    assert all(p["type"] == stream.type("shipped") and p["topic"] == stream.topic.name for p in printed)


def _test_database_url() -> str:
    from django.db import connection

    params = connection.settings_dict
    return f"postgres://{params['USER']}@{params['HOST']}:{params['PORT']}/{params['NAME']}"


def test_dictamesh_events_console_script(stream):
    (event,) = publish_many([Change(stream.type("created"), "dm:o:9", {"n": 9})])
    env = {
        **os.environ,
        "DICTAMESH_TEST_APP": stream.app,
        "DATABASE_URL": _test_database_url(),
        "DICTAMESH_EVENTS_REGISTRY": "tests.events.registry",
    }
    dictamesh = str(Path(sys.executable).parent / "dictamesh")
    shown = subprocess.run([dictamesh, "events", "show", event.id], env=env, capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["subject"] == "dm:o:9"
    missing = subprocess.run([dictamesh, "events", "show", "nope"], env=env, capture_output=True, text=True)
    assert missing.returncode != 0 and "No event with id nope" in missing.stderr


def test_dead_letters_are_not_counted_when_the_broker_does_not_answer(settings, client):
    import socket

    from django.contrib.auth import get_user_model

    from dictamesh.events import dlq

    with socket.socket() as probe:  # a port nothing listens on any more
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.DICTAMESH_KAFKA = {**settings.DICTAMESH_KAFKA, "bootstrap.servers": f"127.0.0.1:{port}"}
    dlq._waiting_memo.clear()
    assert dlq.waiting_dead_letters(timeout=1.0) is None
    client.force_login(get_user_model().objects.create_user("sam", password="x" * 20, is_staff=True))
    page = client.get("/")
    assert page.status_code == 200 and "Kafka did not answer: not counted" in page.content.decode()
    dlq._waiting_memo.clear()
