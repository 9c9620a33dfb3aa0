"""The Kafka adapter against the embedded Kafka-protocol broker."""

from __future__ import annotations

import json
import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from django.conf import settings

from apps.adapters.contracts import InstanceIn
from dictamesh.adapters import PermanentError, create
from dictamesh.contracts import parse


@pytest.fixture
def cluster():
    servers = settings.DICTAMESH_KAFKA["bootstrap.servers"]
    prefix = f"t{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": servers})
    names = [f"{prefix}.orders", f"{prefix}.customers", f"_{prefix}.internal"]
    for future in admin.create_topics(
        [NewTopic(n, num_partitions=2, replication_factor=1) for n in names]
    ).values():
        future.result(timeout=30)
    producer = Producer({"bootstrap.servers": servers})
    # one record batch per message: the embedded broker (tansu) reports a partition's high watermark as its
    # last batch's base offset + 1, which is the true end only when batches hold one record each
    for i in range(10):
        producer.produce(names[0], key=str(i), value=json.dumps({"id": i, "email": f"c{i}@example.com"}))
        producer.flush(30)
    producer.produce(names[0], value=b"\x00\x00\x00\x00\x07avro-bytes")
    producer.flush(30)
    yield {"bootstrap_servers": servers, "include": [f"{prefix}.*", f"_{prefix}.*"]}, names


def test_topics_become_entities_linked_to_their_subjects(cluster):
    config, names = cluster
    with create("kafka", config, instance="events") as adapter:
        assert adapter.health().ok
        [batch] = list(adapter.sync())
        by_key = {c.key: c for c in batch.changes}
        assert sorted(by_key) == sorted(names[:2])  # internal topics (_*) are left out
        orders = by_key[names[0]]
        assert orders.properties["partitions"] == 2 and orders.contract == f"{names[0]}-value"
        [again] = list(adapter.sync(checkpoint=batch.checkpoint))
        assert again.changes == []  # nothing changed
        live = adapter.fetch("topic", [names[0], "no-such-topic"])
        assert live[names[0]]["messages"] == 11 and len(live[names[0]]["partitions"]) == 2
        assert live["no-such-topic"] is None
        sample = adapter.sample(names[0], limit=20)
        assert len(sample) == 11
        assert {"id": 3, "email": "c3@example.com"} in sample
        assert {"_schema_id": 7, "_payload": "YXZyby1ieXRlcw=="} in sample  # Confluent's wire format
        with pytest.raises(PermanentError):
            adapter.sample("no-such-topic")


@pytest.mark.django_db
def test_a_kafka_sync_links_topics_to_their_registered_subjects(cluster):
    from apps.adapters import services
    from apps.catalog import public as catalog
    from apps.schemas import public as schemas

    config, names = cluster
    schemas.register_schema(subject=f"{names[0]}-value", schema_type="JSON", schema='{"type": "object"}')
    services.instance_create(
        instance=parse(
            InstanceIn, {"name": "events", "kind": "kafka", "domain": "platform", "config": config}
        )
    )
    run = services.sync_execute(run_id=services.sync_request(name="events").pk)
    assert run.status == "succeeded", run.error
    assert run.counts["created"] == 2 and run.counts["contracts"] == 1
    assert catalog.entity_schema_subject(urn=f"dm:events:topic:{names[0]}") == f"{names[0]}-value"
    assert catalog.entity_schema_subject(urn=f"dm:events:topic:{names[1]}") == ""  # no subject registered
