"""The naming rule: every table, index, constraint and SQL function DictaMesh owns is named ``dictamesh_…``.

Owned means: models of modules under ``dictamesh.`` or ``apps.``. Django's and third-party tables keep
their own names. Checked as a Django system check (``manage.py check``) and by tests over all models
and the SQL that all migrations would run.
"""

from __future__ import annotations

import re

from django.apps import apps as django_apps
from django.core import checks

PREFIX = "dictamesh_"
OWNED_MODULE_PREFIXES = ("dictamesh.", "apps.")
# names of SQL objects created by CREATE [UNIQUE] INDEX / CONSTRAINT / FUNCTION / TABLE in migration SQL
_SQL_NAME = re.compile(
    r"CREATE\s+(?:UNIQUE\s+)?(?:INDEX|TABLE|(?:OR\s+REPLACE\s+)?FUNCTION|TRIGGER)\s+(?:CONCURRENTLY\s+)?"
    r'(?:IF\s+NOT\s+EXISTS\s+)?"?([A-Za-z0-9_.]+)"?'
    r'|ADD\s+CONSTRAINT\s+"?([A-Za-z0-9_]+)"?'
    r'|CONSTRAINT\s+"?([A-Za-z0-9_]+)"?\s+(?:PRIMARY|UNIQUE|CHECK|FOREIGN|EXCLUDE)',
    re.IGNORECASE,
)


def owned_models():
    for model in django_apps.get_models(include_auto_created=True):
        module = model.__module__
        if module.startswith(OWNED_MODULE_PREFIXES) or model._meta.app_config.name.startswith(
            OWNED_MODULE_PREFIXES
        ):
            yield model


def model_name_problems(model) -> list[str]:
    """Names on one model that break the rule: table, explicit indexes and constraints."""
    meta = model._meta
    problems = []
    if not meta.db_table.startswith(PREFIX):
        problems.append(f"table {meta.db_table!r} of {meta.label}")
    for index in meta.indexes:
        if not (index.name or "").startswith(PREFIX):
            problems.append(f"index {index.name!r} of {meta.label}")
    for constraint in meta.constraints:
        if not constraint.name.startswith(PREFIX):
            problems.append(f"constraint {constraint.name!r} of {meta.label}")
    return problems


def sql_name_problems(sql: str) -> list[str]:
    """Names of SQL objects created by a migration's SQL that break the rule."""
    problems = []
    for match in _SQL_NAME.finditer(sql):
        name = next(group for group in match.groups() if group)
        bare = name.split(".")[-1].strip('"')
        if not bare.startswith(PREFIX):
            problems.append(bare)
    return problems


def check_names(app_configs=None, **kwargs):
    errors = []
    for model in owned_models():
        for problem in model_name_problems(model):
            errors.append(
                checks.Error(
                    f"{problem} is not named '{PREFIX}…'",
                    hint="Set Meta.db_table / index and constraint names to start with 'dictamesh_'.",
                    obj=model,
                    id="dictamesh.E001",
                )
            )
    return errors
