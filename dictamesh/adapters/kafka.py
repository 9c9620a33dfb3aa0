"""Kafka clusters: topics become catalog entities (partitions, replication, retention, message counts), linked
to their schema-registry subjects (``<topic>-value``, the Confluent naming) as their data contracts; messages
are sampled for PII detection; ``fetch`` gives a topic's live offsets.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import time
from collections.abc import Iterator

from pydantic import Field

from .base import Adapter, Change, ConfigError, EntityType, Health, PermanentError, RetryableError, SyncBatch
from .config import AdapterConfig, EnvSecret


class KafkaConfig(AdapterConfig):
    bootstrap_servers: str = Field(description="host:port[,host:port]")
    security_protocol: str = Field("PLAINTEXT", pattern="^(PLAINTEXT|SSL|SASL_PLAINTEXT|SASL_SSL)$")
    sasl_mechanism: str = Field("PLAIN", pattern="^(PLAIN|SCRAM-SHA-256|SCRAM-SHA-512)$")
    sasl_username: str = ""
    sasl_password: EnvSecret | None = None
    include: list[str] = Field(default_factory=lambda: ["*"], description="topic name patterns")
    exclude: list[str] = Field(
        default_factory=lambda: ["__*", "_*"], description="internal topics by default"
    )
    subject_suffix: str = Field("-value", description="a topic's contract is the subject <topic><suffix>")
    owners: list[str] = Field(default_factory=list)
    timeout_seconds: float = Field(10.0, gt=0, le=120)
    erasure_keys: dict[str, str] = Field(
        default_factory=dict,
        description="data-subject requests: topic pattern → the identifier its message keys are (customer_id…)",
    )


class KafkaAdapter(Adapter):
    kind = "kafka"
    title = "Kafka topics"
    Config = KafkaConfig
    config: KafkaConfig

    def _client_config(self, **extra) -> dict:
        config = self.config
        conf = {"bootstrap.servers": config.bootstrap_servers, "security.protocol": config.security_protocol,
                "client.id": f"dictamesh-adapter-{self.instance}", **extra}  # fmt: skip
        if config.security_protocol.startswith("SASL"):
            if not config.sasl_username or config.sasl_password is None:
                raise ConfigError('SASL needs sasl_username and sasl_password ({"env": "NAME"}).')
            conf.update({"sasl.mechanism": config.sasl_mechanism, "sasl.username": config.sasl_username,
                         "sasl.password": config.sasl_password.value()})  # fmt: skip
        return conf

    def _admin(self):
        from confluent_kafka.admin import AdminClient

        return AdminClient(self._client_config())

    def _metadata(self):
        from confluent_kafka import KafkaException

        try:
            return self._admin().list_topics(timeout=self.config.timeout_seconds)
        except KafkaException as exc:
            raise RetryableError(f"The cluster did not answer: {exc}") from exc

    def _wanted(self, name: str) -> bool:
        if any(fnmatch.fnmatchcase(name, p) for p in self.config.exclude):
            return False
        return any(fnmatch.fnmatchcase(name, p) for p in self.config.include)

    def health(self) -> Health:
        started = time.perf_counter()
        try:
            metadata = self._metadata()
        except RetryableError as exc:
            return Health(False, exc.message, (time.perf_counter() - started) * 1000)
        return Health(True, f"{len(metadata.brokers)} broker(s)", (time.perf_counter() - started) * 1000)

    def discover(self) -> list[EntityType]:
        return [EntityType("topic", "Kafka topics", None, ("name",))]

    def _configs(self, names: list[str]) -> dict[str, dict]:
        """retention.ms and cleanup.policy of each topic, when the cluster answers describe_configs."""
        from confluent_kafka.admin import ConfigResource

        if not names:
            return {}
        found: dict[str, dict] = {}
        try:
            admin = self._admin()  # held while the futures resolve: a dropped client fails them
            futures = admin.describe_configs([ConfigResource("topic", n) for n in names])
            for resource, future in futures.items():
                entries = future.result(timeout=self.config.timeout_seconds)
                found[resource.name] = {
                    key: entries[key].value for key in ("retention.ms", "cleanup.policy") if key in entries
                }
        except Exception:  # noqa: BLE001 - some brokers do not describe configs: the topics still sync
            return found
        return found

    def sync(self, *, checkpoint: dict | None = None, full: bool = False) -> Iterator[SyncBatch]:
        metadata = self._metadata()
        topics = {name: t for name, t in metadata.topics.items() if self._wanted(name) and t.error is None}
        configs = self._configs(sorted(topics))
        shapes = {}
        changes = []
        for name in sorted(topics):
            topic = topics[name]
            replicas = min((len(p.replicas) for p in topic.partitions.values()), default=0)
            properties = {"partitions": len(topic.partitions), "replication_factor": replicas,
                          **({"config": configs[name]} if configs.get(name) else {})}  # fmt: skip
            shapes[name] = json.dumps(properties, sort_keys=True)
            contract = f"{name}{self.config.subject_suffix}"
            changes.append(
                Change(type="topic", key=name, name=name, properties=properties, owners=tuple(self.config.owners),
                       contract=contract)
            )  # fmt: skip
        before = {} if full or not checkpoint else dict(checkpoint.get("topics", {}))
        changed = [c for c in changes if before.get(c.key) != shapes[c.key]]
        gone = [Change(type="topic", key=k, deleted=True) for k in before if k not in shapes]
        yield SyncBatch(changed + gone, {"topics": shapes}, total=len(changed) + len(gone))

    def _watermarks(self, consumer, name: str, partitions: list[int]) -> dict[int, tuple[int, int]]:
        from confluent_kafka import TopicPartition

        return {
            p: consumer.get_watermark_offsets(TopicPartition(name, p), timeout=self.config.timeout_seconds)
            for p in partitions
        }

    def _consumer(self):
        from confluent_kafka import Consumer

        settings = {"group.id": f"dictamesh-adapter-{self.instance}", "enable.auto.commit": False,
                    "auto.offset.reset": "earliest"}  # fmt: skip
        return Consumer(self._client_config(**settings))

    def fetch(self, entity_type: str, keys: list[str]) -> dict[str, dict | None]:
        """A topic's live state: partitions with their low and high offsets, and the messages it holds."""
        if entity_type != "topic":
            raise PermanentError(f"This source has no entity type {entity_type!r}.")
        metadata = self._metadata()
        consumer = self._consumer()
        try:
            found: dict[str, dict | None] = {}
            for name in keys:
                topic = metadata.topics.get(name)
                if topic is None or topic.error is not None:
                    found[name] = None
                    continue
                marks = self._watermarks(consumer, name, sorted(topic.partitions))
                found[name] = {
                    "topic": name,
                    "partitions": [{"partition": p, "low": lo, "high": hi} for p, (lo, hi) in marks.items()],
                    "messages": sum(hi - lo for lo, hi in marks.values()),
                }
            return found
        finally:
            consumer.close()

    def sample(self, entity_type: str, *, limit: int = 100) -> list[dict]:
        """The latest messages of the topic ``entity_type`` (JSON values decoded; others as base64)."""
        from confluent_kafka import TopicPartition

        metadata = self._metadata()
        topic = metadata.topics.get(entity_type)
        if topic is None or topic.error is not None:
            raise PermanentError(f"No topic {entity_type!r} in this cluster.")
        consumer = self._consumer()
        try:
            marks = self._watermarks(consumer, entity_type, sorted(topic.partitions))
            each = max(1, limit // max(1, len(marks)))
            consumer.assign(
                [TopicPartition(entity_type, p, max(lo, hi - each)) for p, (lo, hi) in marks.items()]
            )
            expected = sum(min(each, hi - lo) for lo, hi in marks.values())
            out: list[dict] = []
            deadline = time.monotonic() + self.config.timeout_seconds
            while len(out) < min(limit, expected) and time.monotonic() < deadline:
                for message in consumer.consume(num_messages=min(500, limit), timeout=0.5):
                    if message.error() is None:
                        out.append(_decoded(message.value()))
            return out[:limit]
        finally:
            consumer.close()

    def subject_topics(self, identifier_types: list[str]) -> dict[str, str]:
        """The topics whose message keys are one of these identifiers: ``{topic: identifier type}``."""
        found = {}
        for name in sorted(self._metadata().topics):
            for pattern, kind in self.config.erasure_keys.items():
                if kind in identifier_types and fnmatch.fnmatchcase(name, pattern) and self._wanted(name):
                    found[name] = kind
                    break
        return found

    def erase(self, entity_type: str, keys: list[str]) -> dict:
        """A tombstone (a null value) for each key on a compacted topic: compaction removes the key's
        messages. A topic that is not compacted keeps them until its retention ends: reported with that date."""
        from datetime import UTC, datetime, timedelta

        from confluent_kafka import KafkaException, Producer

        topic = self._metadata().topics.get(entity_type)
        if topic is None or topic.error is not None:
            raise PermanentError(f"No topic {entity_type!r} in this cluster.")
        config = self._configs([entity_type]).get(entity_type, {})
        if "compact" not in config.get("cleanup.policy", "delete"):
            retention = int(config.get("retention.ms") or 7 * 24 * 3600 * 1000)
            until = datetime.now(UTC) + timedelta(milliseconds=retention) if retention >= 0 else None
            return {"action": "kept", "records": 0, "kept_until": until.isoformat() if until else "forever",
                    "reason": f"not compacted (cleanup.policy={config.get('cleanup.policy', 'delete')}): its "
                              "messages stay until retention removes them"}  # fmt: skip
        producer = Producer(self._client_config(**{"enable.idempotence": True, "acks": "all"}))
        failures: list[str] = []
        for key in keys:
            try:
                producer.produce(entity_type, key=str(key).encode(), value=None,
                                 on_delivery=lambda err, _msg: failures.append(str(err)) if err else None)  # fmt: skip
            except (KafkaException, BufferError) as exc:
                raise RetryableError(f"Producing tombstones to {entity_type} failed: {exc}") from exc
        left = producer.flush(self.config.timeout_seconds)
        if left or failures:
            raise RetryableError(
                f"{left} tombstone(s) to {entity_type} not acknowledged: {'; '.join(failures)[:300]}"
            )
        return {"action": "tombstoned", "records": len(keys)}


def _decoded(value: bytes | None) -> dict:
    if value is None:
        return {}
    if value[:1] == b"\x00" and len(value) > 5:  # Confluent's wire format: magic byte, schema id, payload
        return {
            "_schema_id": int.from_bytes(value[1:5], "big"),
            "_payload": base64.b64encode(value[5:]).decode(),
        }
    try:
        decoded = json.loads(value)
    except ValueError:
        return {"_value": base64.b64encode(value).decode()}
    return decoded if isinstance(decoded, dict) else {"_value": decoded}
