"""Kafka (or any Kafka-protocol broker): librdkafka client configuration shared by producers and consumers."""

from config.env import ENV

DEV_KAFKA_PORT = 19092

KAFKA_BOOTSTRAP_SERVERS = ENV.str(
    "KAFKA_BOOTSTRAP_SERVERS",
    default=None if ENV.name == "prod" else f"127.0.0.1:{DEV_KAFKA_PORT}",
    doc="Kafka bootstrap servers, comma separated host:port.",
    required_in_prod=True,
)
KAFKA_SECURITY_PROTOCOL = ENV.choice(
    "KAFKA_SECURITY_PROTOCOL",
    ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"),
    default="PLAINTEXT",
    doc="librdkafka security.protocol.",
)
KAFKA_SASL_MECHANISM = ENV.str(
    "KAFKA_SASL_MECHANISM",
    default=None,
    doc="SASL mechanism (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) when SASL is used.",
)
KAFKA_SASL_USERNAME = ENV.str("KAFKA_SASL_USERNAME", default=None, doc="SASL user name.")
KAFKA_SASL_PASSWORD = ENV.str("KAFKA_SASL_PASSWORD", default=None, doc="SASL password.", secret=True)

DICTAMESH_KAFKA = {
    "bootstrap.servers": KAFKA_BOOTSTRAP_SERVERS or "127.0.0.1:1",
    "client.id": "dictamesh",
    "security.protocol": KAFKA_SECURITY_PROTOCOL,
    # a new consumer group's first join waits session.timeout.ms / 2 on tansu: keep it short
    "session.timeout.ms": {"prod": 45000, "test": 3000}.get(ENV.name, 6000),
}
if ENV.name == "test":  # heartbeats well inside the short session
    DICTAMESH_KAFKA["heartbeat.interval.ms"] = 1000
if KAFKA_SECURITY_PROTOCOL.startswith("SASL"):
    if not (KAFKA_SASL_MECHANISM and KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD):
        ENV.problem(
            "KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with SASL"
        )
    DICTAMESH_KAFKA.update(
        {
            "sasl.mechanism": KAFKA_SASL_MECHANISM,
            "sasl.username": KAFKA_SASL_USERNAME,
            "sasl.password": KAFKA_SASL_PASSWORD,
        }
    )
