"""The stewards' governance admin: policies (saved through the services: validated, versioned, audited),
roles, and field classifications to confirm or reject."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages

from dictamesh.contracts import parse
from dictamesh.errors import DictaMeshError
from dictamesh.events.context import user_principal

from . import classification, services
from .contracts import ACTIONS, RESOURCE_KINDS, PolicyIn
from .models import (
    AccessAudit,
    ConsentRecord,
    FieldClassification,
    LegalHold,
    Policy,
    RetentionPolicy,
    RetentionRun,
    Role,
    Status,
)


def _actor(request) -> str:
    return user_principal(request.user)


class ListField(forms.CharField):
    """A comma-separated list in one text box."""

    def prepare_value(self, value):
        return ", ".join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value):
        return [v.strip() for v in (value or "").split(",") if v.strip()]


class PolicyForm(forms.ModelForm):
    actors = ListField(help_text="*, authenticated, anonymous, owner, user:<name>, group:<name>, role:<name>")
    actions = ListField(help_text=f"{', '.join(ACTIONS)}, or *")
    resources = ListField(help_text=f"{', '.join(RESOURCE_KINDS)}, or *")
    condition = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="e.g. hasDomain('finance') && matchAnyTag('PII.*') || isOwner() — see docs/governance.md",
    )

    class Meta:
        model = Policy
        fields = services.POLICY_FIELDS

    def clean(self):
        data = super().clean()
        try:
            self.contract = parse(PolicyIn, {k: data[k] for k in self.Meta.fields if k in data})
        except DictaMeshError as exc:
            for field, problem in (exc.fields or {}).items():
                self.add_error(field if field in self.fields else None, problem)
        return data


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    form = PolicyForm
    list_display = (
        "name",
        "effect",
        "actors",
        "actions",
        "resources",
        "condition",
        "enabled",
        "version",
        "updated_by",
    )
    list_filter = ("effect", "enabled")
    search_fields = ("name", "description", "condition")
    readonly_fields = ("version", "created_at", "updated_at", "updated_by")

    def save_model(self, request, obj, form, change):
        try:
            if change:
                original = Policy.objects.get(pk=obj.pk).name
                saved = services.policy_update(name=original, changes=form.contract, actor=_actor(request))
            else:
                saved = services.policy_create(policy=form.contract, actor=_actor(request))
            obj.pk = saved.pk
        except DictaMeshError as exc:
            self.message_user(request, f"Not saved: {exc.message} {exc.fields or ''}", messages.ERROR)

    def delete_model(self, request, obj):
        services.policy_delete(name=obj.name, actor=_actor(request))

    def delete_queryset(self, request, queryset):
        for policy in queryset:
            services.policy_delete(name=policy.name, actor=_actor(request))


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "description", "created_at")
    search_fields = ("name", "description")
    filter_horizontal = ("users", "groups")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        services.role_recorded(role=form.instance, actor=_actor(request))


@admin.register(FieldClassification)
class FieldClassificationAdmin(admin.ModelAdmin):
    list_display = (
        "urn",
        "path",
        "pii_category",
        "classification",
        "status",
        "confidence",
        "detector",
        "hops",
    )
    list_filter = ("status", "detector", "pii_category", "classification")
    search_fields = ("urn", "path")
    readonly_fields = [f.name for f in FieldClassification._meta.fields]
    actions = ["confirm", "reject"]
    list_per_page = 100

    def has_add_permission(self, request):
        return False  # stewards classify through the API, detectors suggest

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def _decide(self, request, queryset, *, confirm: bool) -> None:
        done = 0
        for row in queryset:
            classification.field_decide(pk=row.pk, confirm=confirm, actor=_actor(request))
            done += 1
        verb = "confirmed" if confirm else "rejected"
        self.message_user(request, f"{done} classification(s) {verb}.")

    @admin.action(description="Confirm the selected classifications (mask these fields)")
    def confirm(self, request, queryset):
        self._decide(request, queryset.exclude(status=Status.CONFIRMED), confirm=True)

    @admin.action(description="Reject the selected classifications")
    def reject(self, request, queryset):
        self._decide(request, queryset.exclude(status=Status.REJECTED), confirm=False)


@admin.register(AccessAudit)
class AccessAuditAdmin(admin.ModelAdmin):
    """Who read which sensitive fields, and what was denied: filter, then export the selection."""

    list_display = ("time", "actor", "kind", "summary", "trace_id")
    list_filter = ("type",)
    search_fields = ("actor", "subject")
    date_hierarchy = "time"
    actions = ["export_csv", "export_json"]
    list_per_page = 100
    show_full_result_count = False

    def get_queryset(self, request):
        from .events import ACCESS_DENIED, SENSITIVE_READ

        return super().get_queryset(request).filter(type__in=[SENSITIVE_READ, ACCESS_DENIED])

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # the event log is append-only

    @admin.display(description="kind")
    def kind(self, obj) -> str:
        return obj.type.rsplit(".", 1)[-1]

    @admin.display(description="what")
    def summary(self, obj) -> str:
        data = obj.data or {}
        if "resources" in data:
            return "; ".join(f"{r['urn']}: {', '.join(r['fields'])}" for r in data["resources"][:5])
        return "; ".join(
            f"{d['action']} {d['resource']} ({d['reason']})" for d in data.get("decisions", [])[:5]
        )

    def _rows(self, queryset) -> list[dict]:
        rows = []
        for event in queryset.order_by("-time", "-id")[:100_000]:
            data = event.data or {}
            for resource in data.get("resources", []):
                for field in resource["fields"]:
                    rows.append({"time": event.time, "actor": event.actor, "kind": self.kind(event),
                                 "urn": resource["urn"], "field": field, "trace_id": event.trace_id})  # fmt: skip
            for decision in data.get("decisions", []):
                rows.append({"time": event.time, "actor": event.actor, "kind": self.kind(event),
                             "urn": decision["resource"], "field": ",".join(decision.get("fields", [])),
                             "trace_id": event.trace_id})  # fmt: skip
        return rows

    @admin.action(description="Export the selected records (CSV)")
    def export_csv(self, request, queryset):
        from django.http import HttpResponse

        from .reports import as_csv

        response = HttpResponse(
            as_csv({"rows": self._rows(queryset)}), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="dictamesh-access-audit.csv"'
        return response

    @admin.action(description="Export the selected records (JSON)")
    def export_json(self, request, queryset):
        from django.http import JsonResponse

        response = JsonResponse({"rows": self._rows(queryset)})
        response["Content-Disposition"] = 'attachment; filename="dictamesh-access-audit.json"'
        return response


@admin.register(ConsentRecord)
class ConsentRecordAdmin(admin.ModelAdmin):
    """Consent as recorded (append-only): filter by purpose and status; subjects are masked hints."""

    list_display = ("recorded_at", "subject_hint", "purpose", "status", "version", "source", "expires_at")
    list_filter = ("purpose", "status", "source")
    search_fields = ("subject_hint", "purpose")
    readonly_fields = [f.name for f in ConsentRecord._meta.fields]
    date_hierarchy = "recorded_at"

    def has_add_permission(self, request):
        return False  # recorded through the API, with its evidence

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_view_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RetentionPolicy)
class RetentionPolicyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "domain",
        "entity_type",
        "classification",
        "keep_days",
        "action",
        "enforce",
        "enabled",
    )
    list_filter = ("action", "enforce", "enabled")
    actions = ["dry_run"]

    @admin.action(description="Dry run: report what the selected policies would do")
    def dry_run(self, request, queryset):
        from . import retention

        for policy in queryset:
            record = retention.run(policy, dry_run=True, actor=_actor(request))
            self.message_user(
                request, f"{policy.name}: {record.candidates} candidates, {record.held} held by legal holds."
            )


@admin.register(LegalHold)
class LegalHoldAdmin(admin.ModelAdmin):
    list_display = ("name", "domain", "urn_pattern", "active", "created_by", "created_at", "released_at")
    list_filter = ("active",)

    def save_model(self, request, obj, form, change):
        obj.created_by = obj.created_by or _actor(request)
        super().save_model(request, obj, form, change)


@admin.register(RetentionRun)
class RetentionRunAdmin(admin.ModelAdmin):
    list_display = ("policy", "started_at", "dry_run", "candidates", "held", "applied", "failed")
    list_filter = ("dry_run", "policy")
    readonly_fields = [f.name for f in RetentionRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_view_permission(request, obj)
