"""Put the declared topics back on a broker that came back without them, before anything uses them.

A broker may return empty: tansu keeps its log in memory, a cluster may be rebuilt. A relay that then
published would have the broker auto-create each topic with its default partitions and configs (or, with
auto-creation off, would wait for the publish timeout), and a consumer would wait forever for its topics.
So each relay and consumer keeps a guard: it is *unchecked* at start and whenever the client reports that
the brokers were away (``error_cb``) or a topic is unknown, and checking it creates what the broker lacks
(``ensure_topics``: one metadata request when nothing is missing).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from . import metrics
from .topics import Topic

logger = logging.getLogger("dictamesh.events.topics")


class TopicGuard:
    def __init__(self, topics: Callable[[], list[Topic]], *, process: str, min_interval: float = 1.0):
        self.topics = topics
        self.process = process
        self.min_interval = min_interval
        self.unchecked = True
        self._checked_at = float("-inf")

    def broker_away(self) -> None:
        self.unchecked = True

    def error_cb(self, error) -> None:
        """A librdkafka ``error_cb``: a lost connection or all brokers down means: check again."""
        from confluent_kafka import KafkaError

        if error.code() in (
            KafkaError._ALL_BROKERS_DOWN,
            KafkaError._TRANSPORT,
            KafkaError.UNKNOWN_TOPIC_OR_PART,
        ):
            self.unchecked = True

    def check(self) -> bool:
        """True when the declared topics are known to be there (creating the missing ones now)."""
        if not self.unchecked:
            return True
        now = time.monotonic()
        if now - self._checked_at < self.min_interval:
            return False
        self._checked_at = now
        return self._ensure() is not None

    def recreated(self) -> list[str]:
        """Check now, whatever the client reported: the declared topics the broker had lost and that are
        created again (empty when none was missing or the broker cannot be asked).

        For a client whose requests stall although its connection looks fine: a broker restarted within
        a reconnect (tansu keeps its log in memory) answers "unknown topic", which librdkafka retries
        until its next metadata refresh, some 25 s later, without reporting anything.
        """
        self._checked_at = time.monotonic()
        return self._ensure() or []

    def _ensure(self) -> list[str] | None:
        from .admin_ops import ensure_topics

        try:
            created = ensure_topics(self.topics())
        except Exception as exc:  # noqa: BLE001 - the broker is away: the caller backs off and asks again
            logger.info("%s: cannot check the declared topics yet: %s", self.process, exc)
            return None
        self.unchecked = False
        if created:
            metrics.TOPICS_RECREATED.labels(process=self.process).inc(len(created))
            logger.warning(
                "%s: the broker lacked %d declared topic(s); created them again: %s",
                self.process,
                len(created),
                ", ".join(sorted(created)),
            )
        return created
