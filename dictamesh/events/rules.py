"""Validation of a routing rule (dictamesh.events.router), called by the model's clean (admin, API, services)."""

from __future__ import annotations

import re

import jmespath
from django.core.exceptions import ValidationError

from .topics import registered_topics

TOPIC_NAME = re.compile(r"^[A-Za-z0-9._-]{1,249}$")


def validate_rule(rule) -> None:
    """Every problem of a routing rule (``RoutingRule.clean``), raised as one ValidationError."""
    kind = type(rule)
    errors: dict[str, str] = {}
    if not isinstance(rule.match_types, list) or not all(isinstance(t, str) and t for t in rule.match_types):
        errors["match_types"] = "a list of event types (a trailing * matches a prefix)"
    for field in ("condition", "transform"):
        expression = getattr(rule, field)
        if expression:
            try:
                jmespath.compile(expression)
            except jmespath.exceptions.JMESPathError as exc:
                errors[field] = f"not a valid JMESPath expression: {exc}"
    if rule.action in (kind.FORWARD, kind.TRANSFORM):
        if not rule.target_topic:
            errors["target_topic"] = "required to forward"
        elif not TOPIC_NAME.match(rule.target_topic):
            errors["target_topic"] = "a Kafka topic name: letters, digits, '.', '_' and '-'"
        elif rule.target_topic in registered_topics():
            errors["target_topic"] = "the router reads this topic: forwarding into it would loop"
    if rule.action == kind.TRANSFORM and not rule.transform:
        errors["transform"] = "required to transform"
    if rule.action == kind.WEBHOOK:
        if not rule.webhook_url:
            errors["webhook_url"] = "required for a webhook"
        if rule.webhook_secret_env and not re.fullmatch(r"[A-Z_][A-Z0-9_]*", rule.webhook_secret_env):
            errors["webhook_secret_env"] = "an environment variable name"  # noqa: S105 - a message
    if errors:
        raise ValidationError(errors)
