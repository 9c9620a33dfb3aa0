"""Access reports from the audit in the event log: who read which sensitive fields (or was denied), per
user, per entity, per period; as JSON or CSV."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from dictamesh.errors import ValidationError

from .events import ACCESS_DENIED, SENSITIVE_READ

KINDS = {"sensitive_read": SENSITIVE_READ, "denied": ACCESS_DENIED}
GROUPS = ("none", "user", "entity")
MAX_ROWS = 100_000


@dataclass(frozen=True)
class ReportQuery:
    kind: str = "sensitive_read"
    group: str = "none"
    actor: str | None = None
    urn: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 1000

    def checked(self) -> ReportQuery:
        problems = {}
        if self.kind not in KINDS:
            problems["kind"] = f"one of {', '.join(KINDS)}"
        if self.group not in GROUPS:
            problems["group"] = f"one of {', '.join(GROUPS)}"
        if not isinstance(self.limit, int) or not 1 <= self.limit <= MAX_ROWS:
            problems["limit"] = f"1..{MAX_ROWS}"
        since = self.since or timezone.now() - timedelta(days=30)
        until = self.until or timezone.now() + timedelta(seconds=1)
        if since >= until:
            problems["since"] = "before until"
        if problems:
            raise ValidationError("The report query is invalid.", fields=problems)
        return ReportQuery(self.kind, self.group, self.actor, self.urn, since, until, self.limit)


# one row per event, resource and field read (sensitive reads) or decision (denials)
_READS = """
    SELECT l.time, l.actor, l.trace_id, r->>'urn' AS urn, f.field, r->'pii' AS pii, l.data->>'path' AS path
    FROM dictamesh_events_event_log l
    CROSS JOIN LATERAL jsonb_array_elements(l.data->'resources') r
    CROSS JOIN LATERAL jsonb_array_elements_text(r->'fields') AS f(field)
    WHERE l.type = %s AND l.time >= %s AND l.time < %s {filters}
"""
_DENIALS = """
    SELECT l.time, l.actor, l.trace_id, d->>'resource' AS urn, coalesce(d->'fields', '[]'::jsonb)::text AS field,
           jsonb_build_object('action', d->>'action', 'reason', d->>'reason', 'policies', d->'policies') AS pii,
           l.data->>'path' AS path
    FROM dictamesh_events_event_log l
    CROSS JOIN LATERAL jsonb_array_elements(l.data->'decisions') d
    WHERE l.type = %s AND l.time >= %s AND l.time < %s {filters}
"""


def _base(query: ReportQuery) -> tuple[str, list]:
    filters, params = "", [KINDS[query.kind], query.since, query.until]
    if query.actor:
        filters += " AND l.actor = %s"
        params.append(query.actor)
    urn_column = "r->>'urn'" if query.kind == "sensitive_read" else "d->>'resource'"
    if query.urn:
        filters += f" AND {urn_column} = %s"
        params.append(query.urn)
    template = _READS if query.kind == "sensitive_read" else _DENIALS
    return template.format(filters=filters), params


def access_report(query: ReportQuery) -> dict:
    """``rows`` (newest first) or, grouped per user or per entity, ``groups`` with their counts."""
    query = query.checked()
    base, params = _base(query)
    period = {"since": query.since, "until": query.until}
    with connection.cursor() as cursor:
        if query.group == "none":
            cursor.execute(f"{base} ORDER BY l.time DESC, urn, field LIMIT %s", [*params, query.limit])  # noqa: S608
            rows = [
                {
                    "time": time,
                    "actor": actor,
                    "trace_id": trace or None,
                    "urn": urn,
                    "field": field,
                    "detail": json.loads(detail) if isinstance(detail, str) else detail,
                    "path": path,
                }
                for time, actor, trace, urn, field, detail, path in cursor.fetchall()
            ]
            return {"kind": query.kind, **period, "rows": rows, "truncated": len(rows) == query.limit}
        key, other = ("actor", "urn") if query.group == "user" else ("urn", "actor")
        cursor.execute(
            f"SELECT {key}, count(*), count(DISTINCT {other}), count(DISTINCT (time, actor)),"  # noqa: S608
            f" min(time), max(time), array_agg(DISTINCT {other} ORDER BY {other})"
            f" FROM ({base}) x GROUP BY {key} ORDER BY count(*) DESC, {key} LIMIT %s",
            [*params, query.limit],
        )
        groups = [
            {
                key: value,
                "items": items,
                f"{'entities' if other == 'urn' else 'users'}_count": distinct,
                "requests": requests,
                "first": first,
                "last": last,
                "entities" if other == "urn" else "users": list(others)[:100],
            }
            for value, items, distinct, requests, first, last, others in cursor.fetchall()
        ]
    return {"kind": query.kind, "group": query.group, **period, "groups": groups}


def _cell(value) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    text = "" if value is None else value.isoformat() if isinstance(value, datetime) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_csv(report: dict) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    items = report.get("rows", report.get("groups", []))
    columns = list(items[0]) if items else ["time", "actor", "urn", "field"]
    writer.writerow(columns)
    for item in items:
        writer.writerow([_cell(item.get(c)) for c in columns])
    return out.getvalue()
