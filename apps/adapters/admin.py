"""Adapters in the admin: instances (a form made from the adapter's configuration schema, a connection test,
syncs on demand) and the history of their sync runs (cancel)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html

from dictamesh.contracts import parse
from dictamesh.errors import DictaMeshError, ValidationError
from dictamesh.events.context import user_principal

from . import services
from .contracts import InstanceIn
from .forms import InstanceForm, pretty
from .models import AdapterInstance, SyncRun


class RunInline(admin.TabularInline):
    model = SyncRun
    extra = 0
    can_delete = False
    fields = ("queued_at", "status", "full", "trigger", "counts", "duration", "error")
    readonly_fields = fields
    ordering = ("-queued_at",)
    max_num = 0

    @admin.display(description="duration (ms)")
    def duration(self, obj: SyncRun):
        return obj.duration_ms

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("-queued_at")


@admin.register(AdapterInstance)
class AdapterInstanceAdmin(admin.ModelAdmin):
    form = InstanceForm
    list_display = (
        "name",
        "kind",
        "enabled",
        "domain",
        "sync_interval_seconds",
        "last_success_at",
        "last_sync_at",
    )
    list_filter = ("kind", "enabled")
    search_fields = ("name", "domain")
    inlines = [RunInline]
    actions = ["sync_now", "full_sync", "test_connection"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kind = request.POST.get("kind") or request.GET.get("kind")
        kwargs["form"] = InstanceForm.for_kind(kind, obj)
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return ("checkpoint_view",) if obj else ()

    @admin.display(description="checkpoint")
    def checkpoint_view(self, obj: AdapterInstance):
        return format_html("<pre>{}</pre>", pretty(obj.checkpoint))

    def save_model(self, request, obj, form, change):
        actor = user_principal(request.user)
        fields = {
            "kind": form.adapter_kind, "enabled": form.cleaned_data["enabled"], "domain": form.cleaned_data["domain"],
            "owners": form.cleaned_data.get("owners") or [], "config": form.config(),
            "sync_interval_seconds": form.cleaned_data.get("sync_interval_seconds"),
        }  # fmt: skip
        if change:
            saved = services.instance_update(name=obj.name, changes=parse(InstanceIn, fields), actor=actor)
        else:
            instance = parse(InstanceIn, {"name": form.cleaned_data["name"], **fields})
            saved = services.instance_create(instance=instance, actor=actor)
        obj.__dict__.update(saved.__dict__)

    def delete_model(self, request, obj):
        services.instance_delete(name=obj.name, actor=user_principal(request.user))

    def _sync(self, request, queryset, *, full: bool) -> None:
        for row in queryset:
            try:
                run = services.sync_request(name=row.name, full=full, trigger="admin",
                                            actor=user_principal(request.user))  # fmt: skip
            except DictaMeshError as exc:
                self.message_user(request, f"{row.name}: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, f"{row.name}: sync run {run.pk} queued.")

    @admin.action(description="Sync the selected instances now")
    def sync_now(self, request, queryset):
        self._sync(request, queryset, full=False)

    @admin.action(description="Full sync (and remove what the source no longer has)")
    def full_sync(self, request, queryset):
        self._sync(request, queryset, full=True)

    @admin.action(description="Test the connection")
    def test_connection(self, request, queryset):
        for row in queryset:
            result = services.connection_test(name=row.name)
            level = messages.SUCCESS if result["ok"] else messages.ERROR
            self.message_user(
                request, f"{row.name}: {'ok' if result['ok'] else 'failed'}: {result['detail']}", level
            )


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("id", "instance", "status", "full", "trigger", "queued_at", "duration", "counts_view")
    list_filter = ("status", "instance", "trigger")
    list_select_related = ("instance",)
    readonly_fields = [f.name for f in SyncRun._meta.fields]
    actions = ["cancel"]
    date_hierarchy = "queued_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="duration (ms)")
    def duration(self, obj: SyncRun):
        return obj.duration_ms

    @admin.display(description="counts")
    def counts_view(self, obj: SyncRun) -> str:
        return ", ".join(f"{k} {v}" for k, v in obj.counts.items() if v) or "—"

    @admin.action(description="Cancel the selected runs")
    def cancel(self, request, queryset):
        for run in queryset:
            try:
                services.sync_cancel(run_id=run.pk, actor=user_principal(request.user))
            except (DictaMeshError, ValidationError) as exc:
                self.message_user(request, f"run {run.pk}: {exc.message}", messages.WARNING)
            else:
                self.message_user(request, f"run {run.pk}: cancel requested.")
