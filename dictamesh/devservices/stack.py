"""The three backing services started together, for `dictamesh dev` and `dictamesh test`."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass
from pathlib import Path

from .kafka import EmbeddedKafka
from .postgres import EmbeddedPostgres
from .redis import EmbeddedRedis
from .supervisor import Supervisor

DATABASE_NAME = "dictamesh"


@dataclass(frozen=True)
class Ports:
    postgres: int
    redis: int
    kafka: int


def scrubbed_env(extra: dict[str, str] | None = None, drop: tuple[str, ...] = ()) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update(extra or {})
    return env


def start_services(sup: Supervisor, data_dir: Path, ports: Ports, *, ephemeral: bool) -> dict[str, str]:
    """Start PostgreSQL, Redis and the Kafka broker under ``sup``; return the environment that points at them."""
    postgres = EmbeddedPostgres(data_dir / "postgres", ports.postgres, ephemeral=ephemeral)
    pg = sup.start(
        "postgres",
        postgres.prepare(),
        user=postgres.user,
        cwd="/",
        env=scrubbed_env({"LC_ALL": "C"}),
        stop_signal=signal.SIGINT,  # fast shutdown
        signal_group=False,
        ready=postgres.is_ready,
    )
    redis = EmbeddedRedis(data_dir / "redis", ports.redis, persistent=not ephemeral)
    rd = sup.start("redis", redis.argv(), env=scrubbed_env(), ready=redis.is_ready)
    kafka = EmbeddedKafka(ports.kafka)
    kf = sup.start(
        "kafka", kafka.argv(), env=scrubbed_env(drop=EmbeddedKafka.SCRUB_ENV), ready=kafka.is_ready
    )
    sup.wait_ready(pg, postgres.is_ready, timeout=60)
    postgres.ensure_database(DATABASE_NAME)
    sup.wait_ready(rd, redis.is_ready, timeout=30)
    sup.wait_ready(kf, kafka.is_ready, timeout=30)
    return {
        "DATABASE_URL": postgres.url(DATABASE_NAME),
        "REDIS_URL": redis.url(0),
        "KAFKA_BOOTSTRAP_SERVERS": kafka.bootstrap,
    }
