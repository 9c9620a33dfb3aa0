"""The event router: stewards' rules matched against every event, with forward, transform and webhook actions.

Matching uses exact-or-prefix patterns on type, source and subject, then an optional JMESPath condition
over the event's structured form — a safe expression language, never ``eval``. Actions:

- forward: the event, unchanged (same id), to another topic;
- transform: a JMESPath projection becomes the new data, published with a derived, stable id
  (uuid5 of rule and event), so a retried transform is recognisable downstream;
- webhook: the structured CloudEvent POSTed, signed (see ``dictamesh.signing``).

The router runs as a consumer (``dictamesh.events.router.route``), so a failing action is retried with
backoff and, after the last attempt, the event lands in the dead-letter topic. Rules are compiled once
per config version (``RULES``, bumped by every save or delete of a rule): a rule saved now applies to the
next event, in every process. A rule may not forward into a topic the router itself reads (no loops).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from dataclasses import dataclass, replace

import jmespath

from . import metrics
from .envelope import Event
from .models import RoutingRule
from .producer import ProducerWatch, discard, flush_watched, make_watched_producer

logger = logging.getLogger("dictamesh.events.router")
RULES = "events.routing_rules"  # the config version of the routing rules
RULES_TTL = 60.0  # a safety net: a change is seen at once through its config version
DERIVED_NAMESPACE = uuid.UUID("6b1f5f3e-2a0b-4f6e-9a55-0d1c3d2b7e11")


def _pattern_matches(pattern: str, value: str) -> bool:
    if not pattern:
        return True
    return value.startswith(pattern[:-1]) if pattern.endswith("*") else value == pattern


def matches_any(patterns, value: str) -> bool:
    """Whether ``value`` (an event type) is one of ``patterns``, where a trailing ``*`` matches a prefix: the
    one pattern syntax of routing rules, subscriptions and preferences."""
    return any(_pattern_matches(p, value) for p in patterns if p)


@dataclass(frozen=True)
class CompiledRule:
    rule: RoutingRule
    condition: object | None
    transform: object | None

    def matches(self, event: Event, view: dict) -> bool:
        rule = self.rule
        if rule.match_types and not any(_pattern_matches(p, event.type) for p in rule.match_types):
            return False
        if not _pattern_matches(rule.match_source, event.source):
            return False
        if not _pattern_matches(rule.match_subject, event.subject):
            return False
        return self.condition is None or bool(self.condition.search(view))


_cache_lock = threading.Lock()
_cache: tuple[int, float, list[CompiledRule]] = (-1, 0.0, [])
_producer = None
_watch = None


def active_rules() -> list[CompiledRule]:
    global _cache
    from dictamesh import config_version

    version = config_version.current(RULES)
    kept, loaded_at, rules = _cache
    if kept == version and time.monotonic() - loaded_at < RULES_TTL:
        return rules
    with _cache_lock:
        compiled = []
        for rule in RoutingRule.objects.filter(enabled=True).order_by("priority", "name"):
            try:
                compiled.append(
                    CompiledRule(
                        rule,
                        jmespath.compile(rule.condition) if rule.condition else None,
                        jmespath.compile(rule.transform) if rule.transform else None,
                    )
                )
            except jmespath.exceptions.JMESPathError:
                logger.error("routing rule %s has an invalid expression; skipped", rule.name)
        _cache = (version, time.monotonic(), compiled)
        return compiled


def reset_rules_cache() -> None:
    global _cache
    with _cache_lock:
        _cache = (-1, 0.0, [])


def rules_changed(sender=None, **kwargs) -> None:
    """A rule saved or deleted: a new config version, which every router sees at its next event."""
    from dictamesh import config_version

    config_version.bump(RULES)


def _produce(topic: str, event: Event) -> None:
    global _producer, _watch
    if _producer is None:
        _watch = ProducerWatch()
        _producer = make_watched_producer(_watch)
    delivered: list[str | None] = []
    _producer.produce(
        topic,
        key=event.subject.encode(),
        value=json.dumps(event.data, separators=(",", ":")).encode(),
        headers=event.headers(),
        on_delivery=lambda err, _msg: delivered.append(None if err is None else str(err)),
    )
    _remaining, reason = flush_watched(_producer, _watch, 30)
    if reason:  # the broker restarted without its state: the retry gets a new producer
        discard(_producer)
        _producer = None
    if delivered != [None]:
        raise RuntimeError(f"forward to {topic} not acknowledged: {delivered or reason or 'timeout'}")


def _webhook(rule: RoutingRule, event: Event) -> None:
    from dictamesh.signing import signed_headers

    body = json.dumps(event.as_dict(), separators=(",", ":")).encode()
    headers = {"Content-Type": "application/cloudevents+json", "ce-id": event.id, "ce-type": event.type}
    from dictamesh.outbound import secret_env_allowed, session

    if rule.webhook_secret_env:
        if not secret_env_allowed(rule.webhook_secret_env):
            raise RuntimeError(
                f"webhook secret {rule.webhook_secret_env}: not a variable secrets may be read from"
            )
        secret = os.environ.get(rule.webhook_secret_env)
        if not secret:
            raise RuntimeError(f"environment variable {rule.webhook_secret_env} (webhook secret) is not set")
        headers.update(signed_headers(secret, body))
    with session() as outbound:  # the outbound policy: http(s) only, addresses checked when connecting
        response = outbound.post(rule.webhook_url, data=body, headers=headers, timeout=10)
    if not 200 <= response.status_code < 300:
        raise RuntimeError(f"webhook {rule.webhook_url} answered {response.status_code}")


def _perform(compiled: CompiledRule, event: Event, view: dict) -> None:
    rule = compiled.rule
    if rule.action == RoutingRule.FORWARD:
        _produce(rule.target_topic, event)
    elif rule.action == RoutingRule.TRANSFORM:
        data = compiled.transform.search(view)
        derived = replace(event, id=str(uuid.uuid5(DERIVED_NAMESPACE, f"{rule.name}:{event.id}")), data=data)
        _produce(rule.target_topic, derived)
    elif rule.action == RoutingRule.WEBHOOK:
        _webhook(rule, event)
    else:  # pragma: no cover - choices are enforced by validation
        raise ValueError(f"unknown action {rule.action}")


def route(event: Event) -> None:
    """The router consumer's handler: run every matching rule; any failure fails the event (retry, then DLQ)."""
    view = event.as_dict()
    failures = []
    for compiled in active_rules():
        if not compiled.matches(event, view):
            continue
        name = compiled.rule.name
        metrics.ROUTER.labels(rule=name, outcome="matched").inc()
        try:
            _perform(compiled, event, view)
        except Exception as exc:  # noqa: BLE001 - recorded, and the event fails after every rule ran
            metrics.ROUTER.labels(rule=name, outcome="failed").inc()
            failures.append(f"{name}: {exc}")
        else:
            metrics.ROUTER.labels(rule=name, outcome="forwarded").inc()
    if failures:
        raise RuntimeError("; ".join(failures))
