"""Every table, index, constraint and SQL function DictaMesh owns is named dictamesh_*."""

from __future__ import annotations

import pytest
from django.apps import apps as django_apps
from django.apps.registry import Apps
from django.core import checks
from django.db import connection, models
from django.db.migrations.loader import MigrationLoader

from dictamesh.core.naming import (
    OWNED_MODULE_PREFIXES,
    PREFIX,
    model_name_problems,
    owned_models,
    sql_name_problems,
)


def _owned_app_labels() -> set[str]:
    return {c.label for c in django_apps.get_app_configs() if c.name.startswith(OWNED_MODULE_PREFIXES)}


def test_every_owned_model_is_named_dictamesh():
    models_seen = list(owned_models())
    assert models_seen, "no owned models found: the check would pass vacuously"
    problems = [p for model in models_seen for p in model_name_problems(model)]
    assert problems == []


def test_system_check_is_clean():
    assert [e for e in checks.run_checks() if e.id == "dictamesh.E001"] == []


def test_system_check_flags_a_badly_named_model():
    isolated = Apps(["dictamesh.auth"])

    class Bad(models.Model):  # noqa: DJ008
        name = models.CharField(max_length=10)

        class Meta:
            app_label = "dictamesh_auth"
            apps = isolated
            db_table = "catalog_entity"
            indexes = [models.Index(fields=["name"], name="entity_name_idx")]
            constraints = [models.CheckConstraint(condition=models.Q(name__gt=""), name="name_not_empty")]

    problems = model_name_problems(Bad)
    assert len(problems) == 3
    assert any("catalog_entity" in p for p in problems)


def test_sql_names_are_parsed():
    sql = (
        'CREATE TABLE "dictamesh_x" (id int, CONSTRAINT "dictamesh_x_pk" PRIMARY KEY (id));'
        'CREATE INDEX "x_idx" ON "dictamesh_x" (id);'
        "CREATE OR REPLACE FUNCTION refresh_x() RETURNS trigger AS $$ $$ LANGUAGE plpgsql;"
        'ALTER TABLE "dictamesh_x" ADD CONSTRAINT "fk_other" FOREIGN KEY (id) REFERENCES y (id);'
    )
    assert sql_name_problems(sql) == ["x_idx", "refresh_x", "fk_other"]


@pytest.mark.django_db
def test_all_migrations_create_only_dictamesh_names():
    loader = MigrationLoader(connection, ignore_no_migrations=True)
    owned = _owned_app_labels()
    checked = 0
    for (app_label, name), migration in sorted(loader.disk_migrations.items()):
        if app_label not in owned:
            continue
        state = loader.project_state((app_label, name), at_end=False)
        with connection.schema_editor(collect_sql=True, atomic=False) as editor:
            migration.apply(state, editor, collect_sql=True)
        sql = "\n".join(editor.collected_sql)
        assert sql_name_problems(sql) == [], f"{app_label}.{name}"
        checked += 1
    assert checked >= 2
    assert PREFIX == "dictamesh_"
