"""Make the broker match the declared topics: create missing ones (and their DLQs), fix configs, report the rest."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from .producer import client_config
from .topics import Topic

TIMEOUT = 15.0


@dataclass(frozen=True)
class TopicChange:
    topic: str
    action: str  # created | updated | schema | warning
    detail: str

    def __str__(self) -> str:
        return f"{self.action:<8} {self.topic}: {self.detail}"


def admin_client():
    from confluent_kafka.admin import AdminClient

    return AdminClient(client_config())


def _wanted(topics: list[Topic]) -> dict[str, tuple[int, dict[str, str]]]:
    wanted: dict[str, tuple[int, dict[str, str]]] = {}
    for topic in topics:
        wanted[topic.name] = (topic.partitions, topic.config())
        wanted[topic.dlq] = (1, topic.dlq_config())
    return wanted


def _create(admin, wanted: dict[str, tuple[int, dict[str, str]]], names: list[str], timeout: float) -> None:
    from confluent_kafka.admin import NewTopic

    replication = settings.DICTAMESH_KAFKA_REPLICATION_FACTOR
    futures = admin.create_topics(
        [NewTopic(name, wanted[name][0], replication, config=wanted[name][1]) for name in names],
        operation_timeout=timeout,
    )
    for future in futures.values():
        try:
            future.result()
        except Exception as exc:
            if "TOPIC_ALREADY_EXISTS" not in str(exc) and getattr(exc.args[0], "code", lambda: 0)() != 36:
                raise


def ensure_topics(topics: list[Topic], *, admin=None, timeout: float = 5.0) -> list[str]:
    """Create those of ``topics`` (and their dead-letter topics) the broker lacks; return their names.

    The cheap half of ``sync_topics``, for the relay and the consumers: a broker that came back without
    its topics (tansu's memory storage, a wiped cluster) gets the declared ones back, with the declared
    partitions and configs, before anything is published to them. Raises when the broker is unreachable.
    """
    if not topics:
        return []
    admin = admin or admin_client()
    wanted = _wanted(topics)
    present = admin.list_topics(timeout=timeout).topics
    missing = [name for name in wanted if name not in present]
    if missing:
        _create(admin, wanted, missing, timeout)
    return missing


def sync_topics(topics: list[Topic], *, admin=None, dry_run: bool = False) -> list[TopicChange]:
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions

    admin = admin or admin_client()
    metadata = admin.list_topics(timeout=TIMEOUT)
    wanted = _wanted(topics)
    changes: list[TopicChange] = []

    missing = [name for name in wanted if name not in metadata.topics]
    if missing and not dry_run:
        _create(admin, wanted, missing, TIMEOUT)
    for name in missing:
        changes.append(TopicChange(name, "created", f"{wanted[name][0]} partition(s), {wanted[name][1]}"))

    existing = [name for name in wanted if name in metadata.topics]
    for name in existing:
        partitions = len(metadata.topics[name].partitions)
        declared = wanted[name][0]
        if partitions < declared:
            try:
                if not dry_run:
                    admin.create_partitions([NewPartitions(name, declared)])[name].result()
                changes.append(TopicChange(name, "updated", f"partitions {partitions} → {declared}"))
            except Exception as exc:  # noqa: BLE001 - brokers without KIP-195 (tansu) cannot grow topics
                changes.append(
                    TopicChange(name, "warning", f"has {partitions} partition(s), declared {declared}: {exc}")
                )
        elif partitions > declared:
            changes.append(
                TopicChange(
                    name, "warning", f"has {partitions} partitions, declared {declared} (never shrunk)"
                )
            )

    if existing:
        resources = [ConfigResource(ConfigResource.Type.TOPIC, name) for name in existing]
        current = {res.name: future.result() for res, future in admin.describe_configs(resources).items()}
        updates = []
        for name in existing:
            diffs = {
                key: value
                for key, value in wanted[name][1].items()
                if key not in current[name] or current[name][key].value != value
            }
            if diffs:
                entries = [
                    ConfigEntry(key, value, incremental_operation=AlterConfigOpType.SET)
                    for key, value in diffs.items()
                ]
                updates.append(ConfigResource(ConfigResource.Type.TOPIC, name, incremental_configs=entries))
                before = {key: current[name][key].value if key in current[name] else None for key in diffs}
                changes.append(TopicChange(name, "updated", f"config {before} → {diffs}"))
        if updates and not dry_run:
            for future in admin.incremental_alter_configs(updates).values():
                future.result()
    if not dry_run:
        changes += _register_schemas(topics)
    return changes


def _register_schemas(topics: list[Topic]) -> list[TopicChange]:
    """Avro topics with a declared schema: register it as ``<topic>-value`` (a no-op when it is there)."""
    from .serialization import resolver

    declared = [t for t in topics if t.format == "avro" and t.avro_schema]
    registry = resolver() if declared else None
    if registry is None:
        return [
            TopicChange(t.name, "warning", "Avro schema not registered: no schema resolver") for t in declared
        ]
    changes = []
    for topic in declared:
        schema_id, created = registry.register(f"{topic.name}-value", topic.avro_schema)
        if created:
            changes.append(
                TopicChange(topic.name, "schema", f"registered {topic.name}-value as schema {schema_id}")
            )
    return changes
