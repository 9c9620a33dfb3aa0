"""Notifications in the admin: every message with its delivery attempts; failed ones (dead letters) retried."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from dictamesh.contracts import parse
from dictamesh.errors import DictaMeshError
from dictamesh.events.context import user_principal

from . import services, subscriptions
from .contracts import SubscriptionIn
from .models import DeliveryAttempt, Notification, Status, Subscription, Template


def _actor(request) -> str | None:
    return user_principal(request.user)


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

    def clean(self):
        """The admin's input checked by the same contract as REST and GraphQL (one set of rules)."""
        data = super().clean()
        names = {
            "users": [u.get_username() for u in data.get("users") or ()],
            "groups": [g.name for g in data.get("groups") or ()],
            "send_as": data["send_as"].get_username() if data.get("send_as") else None,
        }
        sent = {k: names.get(k, data[k]) for k in self.Meta.fields if k in data}
        try:
            parse(SubscriptionIn, sent, partial=True)  # what the form requires it has refused already
        except DictaMeshError as exc:
            for field, problem in (exc.fields or {}).items():
                self.add_error(field if field in self.fields else None, problem)
        return data


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    form = SubscriptionForm
    list_display = ("name", "channel", "event_types", "owners", "priority", "enabled")
    list_filter = ("channel", "enabled", "priority")
    filter_horizontal = ("users", "groups")
    raw_id_fields = ("send_as",)

    def save_model(self, request, obj, form, change):
        obj._before = (
            subscriptions.subscription_state(Subscription.objects.get(pk=obj.pk)) if change else None
        )
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # the members: the event says who is told
        sub = form.instance
        subscriptions.subscription_recorded(subscription=sub, before=sub._before, actor=_actor(request))

    def delete_model(self, request, obj):
        subscriptions.subscription_delete(name=obj.name, actor=_actor(request))

    def delete_queryset(self, request, queryset):
        for sub in queryset:
            subscriptions.subscription_delete(name=sub.name, actor=_actor(request))


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
        before = subscriptions.template_state(Template.objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        subscriptions.template_recorded(template=obj, before=before, actor=_actor(request))

    def delete_model(self, request, obj):
        subscriptions.template_delete(template=obj, actor=_actor(request))

    def delete_queryset(self, request, queryset):
        for template in queryset:
            subscriptions.template_delete(template=template, actor=_actor(request))

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
