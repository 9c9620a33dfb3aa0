"""A saga's transitions are outbox rows written with the transitions: with the relay down while a saga runs
(here: not running at all), none is lost; once a relay runs, the broker has every one, in order."""

from __future__ import annotations

import pytest

from dictamesh.events.admin_ops import sync_topics
from dictamesh.events.models import OutboxMessage
from dictamesh.events.relay import OutboxRelay
from dictamesh.saga import engine
from dictamesh.saga.events import SAGA_TOPIC
from tests.events.conftest import events_of, read_topic
from tests.saga import sagas  # noqa: F401 - registers the test saga

pytestmark = pytest.mark.django_db(transaction=True)


def test_no_transition_event_is_lost_while_the_relay_is_down(tmp_path):
    sync_topics([SAGA_TOPIC])
    inst = engine.start(name="test_flow", reference="relay",
                        context={"dir": str(tmp_path), "steps": [["undoable", "a"], ["undoable", "b"]],
                                 "fail": {"b": -1}})  # fmt: skip
    assert engine.advance(str(inst.pk)) == "compensated"
    pending = list(
        OutboxMessage.objects.filter(subject=f"saga:{inst.pk}", sent_at__isnull=True).order_by("id")
    )
    types = [row.type.rsplit(".", 1)[1] for row in pending]
    assert types[0] == "started" and types[-1] == "compensated" and "step_compensated" in types
    assert OutboxRelay(batch_size=7).drain() >= len(pending)  # the relay is back
    records = read_topic(SAGA_TOPIC.name, expected=len(pending), timeout=60)
    mine = [e for e in events_of(records) if e.subject == f"saga:{inst.pk}"]
    assert [e.type for e in mine] == [row.type for row in pending]
    assert [e.id for e in mine] == [str(row.event_id) for row in pending]


def test_inline_mode_runs_a_saga_in_the_process_that_starts_it(tmp_path, settings):
    from dictamesh.saga.models import SagaInstance

    settings.DICTAMESH_SAGA_INLINE = True  # tests and one-shot commands: no worker needed
    context = {"dir": str(tmp_path), "steps": [["undoable", "a"], ["final", "b"]], "fail": {"b": 1}}
    inst = engine.start(name="test_flow", reference="inline", context=context)
    assert SagaInstance.objects.get(pk=inst.pk).state == "completed"  # run on commit, the retry included
    assert (tmp_path / "log").read_text().count("action:b:") == 2
