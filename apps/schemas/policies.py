"""Compatibility level and mode, globally or per subject (the Confluent API's /config and /mode, the admin)."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from . import errors, selectors
from .models import Compatibility, Config, Mode, SubjectVersion
from .services import registry_lock, settings_changed

CONFIG_KEYS = {"compatibility", "compatibilityLevel"}


def config_set(*, subject: str = "", body: Any) -> dict:
    if not isinstance(body, dict):
        raise errors.InvalidCompatibilityLevel("The body must be a JSON object with 'compatibility'.")
    level = body.get("compatibility", body.get("compatibilityLevel"))
    if not isinstance(level, str) or level.upper() not in Compatibility.values:
        raise errors.InvalidCompatibilityLevel(
            f"Invalid compatibility level. Valid values are {', '.join(Compatibility.values)}"
        )
    extra = {k: v for k, v in body.items() if k not in CONFIG_KEYS}
    with transaction.atomic():
        row, _ = Config.objects.select_for_update().get_or_create(subject=subject)
        row.compatibility = level.upper()
        row.extra = {**row.extra, **extra}
        row.save()
        settings_changed(subject)
    return {**extra, "compatibility": row.compatibility}


def config_delete(*, subject: str = "") -> dict:
    """Drop the setting (a subject's, or the global one back to the default); returns what it was."""
    with transaction.atomic():
        previous = selectors.config_of(subject)  # a subject without its own level: 40408
        Config.objects.filter(subject=subject).update(compatibility=None, extra={})
        Config.objects.filter(subject=subject, mode__isnull=True, compatibility__isnull=True).delete()
        settings_changed(subject)
    return previous


def mode_set(*, subject: str = "", body: Any, force: bool = False) -> dict:
    mode = body.get("mode") if isinstance(body, dict) else None
    if not isinstance(mode, str) or mode.upper() not in Mode.values:
        raise errors.InvalidMode(f"Invalid mode. Valid values are {', '.join(Mode.values)}")
    mode = mode.upper()
    with transaction.atomic():
        registry_lock()
        if mode == Mode.IMPORT and not force:
            has_schemas = (
                SubjectVersion.objects.filter(subject__name=subject).exists()
                if subject
                else SubjectVersion.objects.exists()
            )
            if has_schemas:
                raise errors.OperationNotPermitted(
                    "Cannot import since found existing subjects (use force=true to switch anyway)"
                )
        row, _ = Config.objects.select_for_update().get_or_create(subject=subject)
        row.mode = mode
        row.save()
        settings_changed(subject)
    return {"mode": mode}


def mode_delete(*, subject: str) -> dict:
    with transaction.atomic():
        previous = selectors.mode_of(subject)
        Config.objects.filter(subject=subject).update(mode=None)
        Config.objects.filter(subject=subject, mode__isnull=True, compatibility__isnull=True).delete()
        settings_changed(subject)
    return {"mode": previous}


def settings_clear(*, subject: str) -> None:
    """Drop every setting of a scope (the admin's delete): the next scope's apply again."""
    with transaction.atomic():
        Config.objects.filter(subject=subject).delete()
        settings_changed(subject)
