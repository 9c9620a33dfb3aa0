from django.contrib import admin, messages
from django.db import models

from .models import EventLog, OutboxMessage, RoutingRule
from .outbox import outbox_retry


@admin.register(EventLog)
class EventLogAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only (the database refuses UPDATE and DELETE)."""

    list_display = ("time", "type", "subject", "actor", "topic")
    list_filter = ("type", "topic", "actor", "source")
    search_fields = ("subject", "event_id", "trace_id")
    date_hierarchy = "time"
    readonly_fields = [f.name for f in EventLog._meta.fields]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PendingFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("pending", "pending"), ("failing", "failing"), ("sent", "sent")]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "failing":
            return queryset.filter(sent_at__isnull=True, attempts__gt=0)
        if self.value() == "sent":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(OutboxMessage)
class OutboxAdmin(admin.ModelAdmin):
    list_display = ("created_at", "type", "subject", "topic", "sent_at", "attempts", "last_error")
    list_filter = (PendingFilter, "topic")
    search_fields = ("subject", "event_id")
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
    actions = ["retry_now"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Retry the selected unsent events now (clears their error)")
    def retry_now(self, request, queryset):
        count = outbox_retry(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} event(s) will be retried.", messages.SUCCESS)


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("name", "enabled", "priority", "action", "target", "updated_at")
    list_filter = ("enabled", "action")
    search_fields = ("name", "description", "target_topic", "webhook_url")
    list_editable = ("enabled", "priority")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ("name", "description", "enabled", "priority")}),
        ("Match", {"fields": ("match_types", "match_source", "match_subject", "condition")}),
        ("Action", {"fields": ("action", "target_topic", "transform", "webhook_url", "webhook_secret_env")}),
    ]

    @admin.display(description="target")
    def target(self, obj: RoutingRule) -> str:
        return obj.webhook_url if obj.action == RoutingRule.WEBHOOK else obj.target_topic
