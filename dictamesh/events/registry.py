"""One place that lists what a deployment publishes and consumes (Sentry-style consumer registry)."""

from __future__ import annotations

from dataclasses import dataclass, field

from .topics import Topic


@dataclass(frozen=True)
class ConsumerSpec:
    """A consumer: topics, group, handler (dotted path into the owning app), retries and dead letters.

    The handler is called as ``handler(event)`` inside a database transaction that also records the event
    as processed, so a redelivered event is skipped. It must be idempotent for effects outside the
    database; slow work goes to Celery tasks (enqueued on commit).
    """

    name: str
    topics: tuple[str, ...]
    handler: str
    group_id: str | None = None
    max_attempts: int = 5
    backoff_base: float = 0.2
    backoff_max: float = 10.0
    batch_size: int = 500
    # optimistic: a batch's handlers share one savepoint; only when one raises is the batch redone event by
    # event. Fast, but a failure re-runs the batch's side effects outside the database: turn it off for
    # handlers that call out (webhooks, forwarding).
    optimistic: bool = True
    # batch_handler (dotted path, optional): ``batch_handler(events)`` handles the fresh events of a batch in
    # one call (one statement for a batch's writes, say), in the optimistic pass. When it raises, the batch
    # is redone event by event with ``handler``, which must do the same for one event.
    batch_handler: str | None = None
    description: str = ""

    @property
    def group(self) -> str:
        return self.group_id or f"dictamesh.{self.name}"


@dataclass(frozen=True)
class Registry:
    topics: list[Topic] = field(default_factory=list)
    consumers: list[ConsumerSpec] = field(default_factory=list)

    def __post_init__(self) -> None:
        names = [t.name for t in self.topics]
        if len(names) != len(set(names)):
            raise ValueError("a topic is declared twice")
        consumer_names = [c.name for c in self.consumers]
        if len(consumer_names) != len(set(consumer_names)):
            raise ValueError("a consumer is declared twice")
        declared = set(names)
        for consumer in self.consumers:
            if consumer.batch_handler and not consumer.optimistic:
                raise ValueError(
                    f"consumer {consumer.name}: a batch handler runs in the optimistic pass only"
                )
            unknown = [t for t in consumer.topics if t not in declared]
            if unknown:
                raise ValueError(f"consumer {consumer.name} reads undeclared topic(s): {', '.join(unknown)}")

    def consumer(self, name: str) -> ConsumerSpec:
        for spec in self.consumers:
            if spec.name == name:
                return spec
        raise KeyError(
            f"no consumer named {name!r}; known: {', '.join(c.name for c in self.consumers) or 'none'}"
        )
