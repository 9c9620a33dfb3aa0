"""Compatibility levels through the registry: a table of schema histories and a candidate, per level."""

from __future__ import annotations

import pytest

from apps.schemas import errors, policies, services
from apps.schemas.tests.conftest import field, record

pytestmark = pytest.mark.django_db

A = field("a", "int")
C = field("c", "string")
C_DEFAULT = field("c", "string", default="d")
B_DEFAULT = field("b", "string", default="x")
B = field("b", "string")


def history(subject: str, *schemas: str) -> None:
    policies.config_set(subject=subject, body={"compatibility": "NONE"})
    for schema in schemas:
        services.register(subject=subject, data=services.SchemaInput(schema))


CASES = [
    # level, history, candidate, compatible
    ("BACKWARD", [record("R", A)], record("R", A, B_DEFAULT), True),
    ("BACKWARD", [record("R", A)], record("R", A, B), False),  # the new reader lacks a default
    ("BACKWARD", [record("R", A, C)], record("R", A), True),  # removing a field is backward compatible
    ("FORWARD", [record("R", A, C)], record("R", A), False),  # the old reader needs c
    ("FORWARD", [record("R", A)], record("R", A, B), True),  # the old reader skips b
    ("FULL", [record("R", A)], record("R", A, B_DEFAULT), True),
    ("FULL", [record("R", A)], record("R", A, B), False),
    ("NONE", [record("R", A)], record("R", field("a", "string")), True),
    # non-transitive levels look at the latest version only, transitive ones at all of them
    ("BACKWARD", [record("R", A), record("R", A, B_DEFAULT)], record("R", A, B), True),
    ("BACKWARD_TRANSITIVE", [record("R", A), record("R", A, B_DEFAULT)], record("R", A, B), False),
    ("FORWARD", [record("R", A, C), record("R", A, C_DEFAULT)], record("R", A), True),
    ("FORWARD_TRANSITIVE", [record("R", A, C), record("R", A, C_DEFAULT)], record("R", A), False),
    ("FULL", [record("R", A), record("R", A, B_DEFAULT)], record("R", A, B_DEFAULT, C_DEFAULT), True),
    ("FULL_TRANSITIVE", [record("R", A, C), record("R", A, C_DEFAULT)], record("R", A), False),
    (
        "FULL_TRANSITIVE",
        [record("R", A), record("R", A, B_DEFAULT)],
        record("R", A, B_DEFAULT, C_DEFAULT),
        True,
    ),
]


@pytest.mark.parametrize(("level", "schemas", "candidate", "compatible"), CASES)
def test_level(level, schemas, candidate, compatible):
    history("s", *schemas)
    policies.config_set(subject="s", body={"compatibility": level})
    messages = services.compatibility_check(subject="s", version=None, data=services.SchemaInput(candidate))
    assert (not messages) is compatible, messages
    if compatible:
        assert (
            services.register(subject="s", data=services.SchemaInput(candidate)).version == len(schemas) + 1
        )
    else:
        with pytest.raises(errors.IncompatibleSchema):
            services.register(subject="s", data=services.SchemaInput(candidate))


def test_global_level_applies_until_a_subject_sets_its_own():
    history("s", record("R", A))
    policies.config_set(subject="", body={"compatibility": "FORWARD"})
    assert (
        services.compatibility_check(subject="s", version=None, data=services.SchemaInput(record("R", A, B)))
        == []
    )
    policies.config_set(subject="s", body={"compatibility": "BACKWARD"})
    assert services.compatibility_check(
        subject="s", version=None, data=services.SchemaInput(record("R", A, B))
    )
