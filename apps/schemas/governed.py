"""The registry as the caller may see and use it (governance's decision point, on schema subjects).

A subject carries the attributes of the entities whose data contract it is, so a restricted entity's
schema is restricted too. A subject the caller may not read does not exist for it (40401, as Confluent
answers); a write it may not do is denied (40301). A schema id is readable through any subject it may read.
"""

from __future__ import annotations

from dictamesh import decision_point as governance

from . import errors, selectors


def require(request, action: str, subject: str) -> None:
    access = governance.access(request)
    if subject not in governance.schemas_readable(access, [subject]):
        raise errors.SubjectNotFound(f"Subject '{subject}' not found.")
    if action != "read":
        decision = governance.schema_decide(access, action, subject)
        if not decision.allowed:
            raise errors.OperationDenied(
                f"User is denied operation {action} on subject {subject}: {decision.message}"
            )


def readable(request, subjects: list[str]) -> set[str]:
    return governance.schemas_readable(governance.access(request), list(subjects))


def require_schema(request, schema_id: int) -> None:
    subjects = selectors.schema_subjects(schema_id, deleted=True)
    if subjects and not readable(request, subjects):
        raise errors.SchemaNotFound(f"Schema {schema_id} not found")


def subject_detail(request, detail: dict) -> dict:
    """A subject's detail with only the linked entities this caller may read: a subject readable through
    one entity names no other entity the caller may not see."""
    from apps.catalog.public import urns_visible

    access = governance.access(request)
    sql = governance.entity_visible_sql(access, "{e}")
    shown = urns_visible(urns=detail["entities"], visible=None if sql is None else (sql[0], tuple(sql[1])))
    return {**detail, "entities": [urn for urn in detail["entities"] if urn in shown]}
