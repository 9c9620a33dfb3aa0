"""Saga instances in the admin: state, each step's attempts, errors and log; retry, skip (with a reason) and
cancel through the engine. Model permissions decide who sees them (a saga's context is a steward's business)."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.utils.html import format_html

from dictamesh.errors import DictaMeshError
from dictamesh.events.context import user_principal

from . import engine
from .models import SagaInstance, SagaStep


class StepInline(admin.TabularInline):
    model = SagaStep
    extra = 0
    max_num = 0
    can_delete = False
    fields = (
        "index",
        "name",
        "state",
        "attempts",
        "compensation_attempts",
        "waiting_for",
        "error",
        "note",
        "attempt_log",
    )
    readonly_fields = fields

    @admin.display(description="attempts log")
    def attempt_log(self, obj: SagaStep):
        return format_html("<pre>{}</pre>", json.dumps(obj.log, indent=1)[:4000])


@admin.register(SagaInstance)
class SagaInstanceAdmin(admin.ModelAdmin):
    list_display = ("reference", "name", "state", "created_at", "updated_at", "finished_at")
    list_filter = ("name", "state")
    search_fields = ("reference",)
    readonly_fields = ("id", "name", "reference", "state", "error", "deadline", "cancelled_by", "created_by",
                       "created_at", "updated_at", "finished_at")  # fmt: skip
    fields = readonly_fields
    inlines = [StepInline]
    actions = ["retry_failed_step", "cancel_and_compensate"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _each(self, request, queryset, call, verb: str) -> None:
        done = 0
        for inst in queryset:
            try:
                call(inst)
                done += 1
            except DictaMeshError as exc:
                messages.error(request, f"{inst}: {exc.message}")
        if done:
            messages.success(request, f"{done} instance(s) {verb}.")

    @admin.action(description="Retry the failed step", permissions=["change"])
    def retry_failed_step(self, request, queryset):
        actor = user_principal(request.user)
        self._each(request, queryset, lambda i: engine.retry_step(instance_id=i.pk, actor=actor), "retried")

    @admin.action(description="Cancel (compensations run in reverse order)", permissions=["change"])
    def cancel_and_compensate(self, request, queryset):
        actor = user_principal(request.user)

        def cancel(inst) -> None:
            engine.cancel(instance_id=inst.pk, actor=actor, reason="cancelled in the admin")

        self._each(request, queryset, cancel, "cancelled")
