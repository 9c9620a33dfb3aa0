"""The stewards' registry admin: subjects with their versions, side-by-side diffs, compatibility and mode.

Registrations come from producers (the APIs); here stewards read, compare and set policy. Every change made
here goes through the services (validation, events).
"""

from __future__ import annotations

import difflib

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from dictamesh.errors import DictaMeshError
from dictamesh.events.context import user_principal

from . import deletion, governed, policies, selectors
from .models import Compatibility, Config, Mode, Schema, Subject, SubjectVersion


class VersionInline(admin.TabularInline):
    model = SubjectVersion
    fields = ("version", "schema_link", "schema_type", "created_at", "actor", "deleted_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-version",)

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="schema id")
    def schema_link(self, obj: SubjectVersion) -> str:
        url = reverse("admin:schemas_schema_change", args=[obj.schema_id])
        return format_html('<a href="{}">{}</a>', url, obj.schema_id)

    @admin.display(description="type")
    def schema_type(self, obj: SubjectVersion) -> str:
        return obj.schema.schema_type


@admin.register(Subject)
class SubjectAdmin(admin.ModelAdmin):
    list_display = ("name", "latest", "compatibility", "mode", "created_at")
    search_fields = ("name",)
    readonly_fields = (
        "name",
        "last_version",
        "created_at",
        "policy",
        "compare",
        "latest_schema",
        "linked_entities",
    )
    fields = readonly_fields
    inlines = [VersionInline]
    actions = ["soft_delete"]

    def get_queryset(self, request):
        """Only the subjects the steward may read (a subject carries its entities' governed attributes)."""
        queryset = super().get_queryset(request)
        names = list(queryset.values_list("name", flat=True))
        return queryset.filter(name__in=governed.readable(request, names))

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:  # the linked entities as this steward may see them
            obj.detail = governed.subject_detail(request, selectors.subject_detail(obj.name))
        return obj

    @admin.display(description="latest schema")
    def latest_schema(self, obj: Subject) -> str:
        row = (
            obj.versions.filter(deleted_at__isnull=True).select_related("schema").order_by("-version").first()
        )
        if row is None:
            return "—"
        return format_html(
            '<pre style="max-height: 30em; overflow: auto">{}</pre>',
            "\n".join(selectors.schema_lines(row.schema.text)),
        )

    @admin.display(description="linked entities (data contract of)")
    def linked_entities(self, obj: Subject) -> str:
        urns = getattr(obj, "detail", {}).get("entities", [])
        if not urns:
            return "none you may read"
        return format_html_join(
            mark_safe("<br>"), '<a href="{}">{}</a>', ((reverse("entity-page", args=[u]), u) for u in urns)
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="latest version")
    def latest(self, obj: Subject) -> int | None:
        row = obj.versions.filter(deleted_at__isnull=True).order_by("-version").first()
        return row.version if row else None

    @admin.display(description="compatibility")
    def compatibility(self, obj: Subject) -> str:
        return selectors.effective_compatibility(obj.name)

    @admin.display(description="mode")
    def mode(self, obj: Subject) -> str:
        return selectors.effective_mode(obj.name)

    @admin.display(description="policy")
    def policy(self, obj: Subject) -> str:
        url = reverse("admin:schemas_config_changelist")
        return format_html(
            '{} · {} — <a href="{}">set compatibility or mode</a>',
            selectors.effective_compatibility(obj.name),
            selectors.effective_mode(obj.name),
            url,
        )

    @admin.display(description="compare versions")
    def compare(self, obj: Subject) -> str:
        url = reverse("admin:schemas_subject_diff", args=[obj.pk])
        return format_html('<a href="{}">side-by-side diff of two versions</a>', url)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/diff/",
                self.admin_site.admin_view(self.diff_view),
                name="schemas_subject_diff",
            ),
            *super().get_urls(),
        ]

    def diff_view(self, request, object_id):
        """Two versions side by side (the latest two by default; ?from=&to= to choose)."""
        subject = get_object_or_404(Subject, pk=object_id)
        numbers = list(subject.versions.order_by("version").values_list("version", flat=True))
        table, old, new = "", None, None
        if numbers:
            to_version = request.GET.get("to") or str(numbers[-1])
            from_version = request.GET.get("from") or str(numbers[-2] if len(numbers) > 1 else numbers[-1])
            try:
                old = selectors.version_get(subject.name, from_version, deleted=True)
                new = selectors.version_get(subject.name, to_version, deleted=True)
            except DictaMeshError as exc:
                messages.error(request, exc.message)
            else:
                # HtmlDiff escapes the schema text itself
                table = mark_safe(  # noqa: S308 - difflib.HtmlDiff escapes its input
                    difflib.HtmlDiff(wrapcolumn=80).make_table(
                        selectors.schema_lines(old.schema.text),
                        selectors.schema_lines(new.schema.text),
                        f"version {old.version}",
                        f"version {new.version}",
                    )
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "object": subject,
            "title": f"Compare versions of {subject.name}",
            "numbers": numbers,
            "old": old,
            "new": new,
            "table": table,
        }
        return TemplateResponse(request, "admin/schemas/subject/diff.html", context)

    @admin.action(
        description="Soft delete the selected subjects (their versions stay readable with deleted=true)"
    )
    def soft_delete(self, request, queryset):
        actor = user_principal(request.user)
        for subject in queryset:
            try:
                deletion.subject_delete(subject=subject.name, actor=actor)
            except DictaMeshError as exc:
                self.message_user(request, f"{subject.name}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, f"{subject.name}: soft deleted")


@admin.register(Schema)
class SchemaAdmin(admin.ModelAdmin):
    list_display = ("id", "schema_type", "fingerprint", "created_at")
    list_filter = ("schema_type",)
    search_fields = ("=id", "fingerprint", "text")
    readonly_fields = (
        "id",
        "guid",
        "schema_type",
        "pretty",
        "references",
        "metadata",
        "rule_set",
        "fingerprint",
    )
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return request.method in ("GET", "HEAD")

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description="schema")
    def pretty(self, obj: Schema) -> str:
        return format_html("<pre>{}</pre>", "\n".join(selectors.schema_lines(obj.text)))


class ConfigForm(forms.ModelForm):
    subject = forms.CharField(required=False, help_text="Empty: the global setting.")
    compatibility = forms.ChoiceField(choices=[("", "(inherit)"), *Compatibility.choices], required=False)
    mode = forms.ChoiceField(choices=[("", "(inherit)"), *Mode.choices], required=False)

    class Meta:
        model = Config
        fields = ("subject", "compatibility", "mode")


@admin.register(Config)
class ConfigAdmin(admin.ModelAdmin):
    """Compatibility level and mode, global (empty subject) or per subject — set through the services."""

    form = ConfigForm
    list_display = ("scope", "compatibility", "mode", "updated_at")
    search_fields = ("subject",)

    @admin.display(description="subject")
    def scope(self, obj: Config) -> str:
        return obj.subject or "(global)"

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        subject = data.get("subject") or ""
        current = selectors.settings_of(subject)
        try:
            if data.get("compatibility"):
                policies.config_set(subject=subject, body={"compatibility": data["compatibility"]})
            elif current.get("compatibility"):  # "(inherit)": drop this scope's level
                policies.config_delete(subject=subject)
            if data.get("mode"):
                policies.mode_set(subject=subject, body={"mode": data["mode"]})
            elif current.get("mode"):
                policies.mode_delete(subject=subject)
        except DictaMeshError as exc:
            self.message_user(request, f"Not saved: {exc.message}", messages.ERROR)
            return
        saved = Config.objects.filter(subject=subject).first()  # the admin redirects to the saved row
        if saved is not None:
            obj.pk = saved.pk

    def delete_model(self, request, obj):
        policies.settings_clear(subject=obj.subject)

    def delete_queryset(self, request, queryset):
        for row in queryset:
            policies.settings_clear(subject=row.subject)
