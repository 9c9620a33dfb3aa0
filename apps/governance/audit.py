"""The access audit: what one request read of sensitive fields, and what it was denied, as events.

Each lands in the append-only event log (``dictamesh_events_event_log``: UPDATE and DELETE refused) with
the actor and the trace id, and on the topic ``dictamesh.governance.audit.v1``.
"""

from __future__ import annotations

from django.conf import settings

from dictamesh.events.outbox import Change, publish_many

from .events import ACCESS_DENIED, AUDIT_TOPIC, SENSITIVE_READ


def audit_write(*, actor, audit, context: dict) -> None:
    changes = []
    limit = settings.DICTAMESH_AUDIT_MAX_ITEMS
    common = {"actor": actor.label, **{k: v for k, v in context.items() if v}}
    if audit.sensitive:
        resources = [
            {
                "urn": urn,
                "fields": sorted(paths),
                "pii": sorted({c for cats in paths.values() for c in cats}),
            }
            for urn, paths in sorted(audit.sensitive.items())
        ]
        data = {**common, "count": len(resources), "resources": resources[:limit]}
        changes.append(
            Change(
                SENSITIVE_READ, actor.label, data, topic=AUDIT_TOPIC.name, actor=actor.label, json_ready=True
            )
        )
    if audit.denied_count:
        data = {**common, "count": audit.denied_count, "decisions": audit.denied}
        changes.append(
            Change(
                ACCESS_DENIED, actor.label, data, topic=AUDIT_TOPIC.name, actor=actor.label, json_ready=True
            )
        )
    publish_many(changes)
