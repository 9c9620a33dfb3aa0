"""What other apps may use of the schema registry (import only this module)."""

from __future__ import annotations

from . import selectors


def subject_summary(*, subject: str) -> dict | None:
    """A subject's live versions (``[{version, id, schema_type, created_at}]``, oldest first), or None."""
    versions = [ref for ref in selectors.subject_versions(subject) if not ref.deleted]
    if not versions:
        return None
    return {
        "subject": subject,
        "versions": [
            {
                "version": v.version,
                "id": v.schema_id,
                "schema_type": v.schema.schema_type,
                "created_at": v.created_at.isoformat(),
            }
            for v in versions
        ],
        "latest_schema": versions[-1].schema.text,
    }
