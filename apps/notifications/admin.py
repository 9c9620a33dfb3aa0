"""Notifications in the admin: every message with its delivery attempts; failed ones (dead letters) retried."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from . import services
from .models import DeliveryAttempt, Notification, Status, Subscription, Template


class DeliveryInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    can_delete = False
    readonly_fields = ("number", "started_at", "duration_ms", "outcome", "status_code", "detail")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "type",
        "channel",
        "address",
        "priority",
        "status",
        "attempts",
        "last_error",
    )
    list_filter = ("status", "channel", "priority", "type")
    search_fields = ("address", "subject", "dedup_key")
    readonly_fields = [f.name for f in Notification._meta.fields]
    inlines = [DeliveryInline]
    actions = ["retry"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    @admin.action(description="Retry the selected failed notifications")
    def retry(self, request, queryset):
        count = services.retry_failed(
            ids=list(queryset.filter(status=Status.FAILED).values_list("pk", flat=True))
        )
        self.message_user(request, f"{count} notification(s) queued again.")


class SubscriptionForm(forms.ModelForm):
    class Meta:
        model = Subscription
        fields = (
            "name", "description", "event_types", "filter", "channel", "users", "groups", "owners", "addresses",
            "send_as", "priority", "enabled",
        )  # fmt: skip

    def clean_filter(self):
        import jmespath

        value = self.cleaned_data["filter"]
        if value:
            try:
                jmespath.compile(value)
            except jmespath.exceptions.JMESPathError as exc:
                raise forms.ValidationError(f"Not a JMESPath expression: {exc}") from exc
        return value

    def clean_event_types(self):
        value = self.cleaned_data["event_types"]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise forms.ValidationError('A list of event types, e.g. ["dictamesh.schemas.subject.*"].')
        return value


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("name", "channel", "event_types", "owners", "priority", "enabled")
    list_filter = ("channel", "enabled", "priority")
    filter_horizontal = ("users", "groups")
    raw_id_fields = ("send_as",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from .matching import reset_cache

        reset_cache()


SAMPLE = {
    "urn": "dm:crm:table:customers", "version": 2, "changed_fields": ["description", "owners"],
    "subject": "orders-value", "change": "updated",
}  # fmt: skip


@admin.register(Template)
class TemplateAdmin(admin.ModelAdmin):
    """Templates, each previewed with sample data (the event the type names, about a sample entity)."""

    list_display = ("type", "channel", "language", "subject")
    list_filter = ("channel", "language")
    readonly_fields = ("preview",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        from .matching import reset_cache

        reset_cache()

    @admin.display(description="preview (sample data)")
    def preview(self, obj) -> str:
        from django.template import TemplateSyntaxError
        from django.utils.html import format_html

        from dictamesh.events.envelope import Event

        from .matching import render

        if not obj or not obj.pk:
            return "Save to preview."
        sample_type = obj.type[:-1] + "sample" if obj.type.endswith("*") else obj.type
        event = Event(type=sample_type, source="dictamesh",
                      subject=SAMPLE["urn"], data=SAMPLE, actor="user:alice")  # fmt: skip
        try:
            subject, body = render(event, obj.channel or "email", "alice@example.com", obj.language)
        except TemplateSyntaxError as exc:
            return f"The template does not render: {exc}"
        return format_html("<strong>{}</strong><pre>{}</pre>", subject, body)
