"""The Kafka clients' configurations: a consumer's group settings stay out of producers and admin clients
(librdkafka warns of, and ignores, a consumer property given to a producer); a command's one-off group has a
short session."""

from __future__ import annotations

from dictamesh.events.producer import CONSUMER_ONLY, client_config, consumer_config


def test_producers_get_no_group_settings_and_consumers_get_them(settings):
    settings.DICTAMESH_KAFKA = {
        "bootstrap.servers": "127.0.0.1:9092", "session.timeout.ms": 45000, "heartbeat.interval.ms": 3000,
    }  # fmt: skip
    assert not set(CONSUMER_ONLY) & set(client_config())
    assert client_config(**{"acks": "all"})["acks"] == "all"
    consumer = consumer_config(**{"group.id": "g"})
    assert consumer["session.timeout.ms"] == 45000 and consumer["heartbeat.interval.ms"] == 3000
    assert consumer["group.id"] == "g"
    assert consumer_config(short_session=True)["session.timeout.ms"] == 6000
    settings.DICTAMESH_KAFKA = {**settings.DICTAMESH_KAFKA, "session.timeout.ms": 3000}
    assert consumer_config(short_session=True)["session.timeout.ms"] == 3000  # never longer than set
