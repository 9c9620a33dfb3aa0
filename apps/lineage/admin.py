"""The stewards' lineage admin: namespaces, datasets with their fields, jobs with their runs, and edges.

What OpenLineage producers sent is read-only here. Stewards add and remove edges (their own, or wrong ones a
producer sent); those changes go through the services (validation, events). Accepted events not applied yet
are listed too: one that failed alone waits there with its error for a steward's retry.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from dictamesh.errors import DictaMeshError
from dictamesh.events.context import user_principal

from . import services
from .models import ColumnEdge, Dataset, DatasetField, Edge, Freshness, Job, Namespace, PendingEvent, Run
from .selectors import freshness_state, last_written, node_by_id, node_key
from .views import view_url


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Namespace)
class NamespaceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "owner", "created_at", "updated_at")
    search_fields = ("name",)


class FieldInline(ReadOnlyMixin, admin.TabularInline):
    model = DatasetField
    fields = ("name", "type", "description", "removed_at")
    readonly_fields = fields
    extra = 0
    ordering = ("ordinal", "name")


class ViewLinkMixin:
    @admin.display(description="lineage")
    def lineage_view(self, obj) -> str:
        return format_html('<a href="{}">graph</a>', view_url(node_key(obj)))

    @admin.display(description="facets")
    def facets_shown(self, obj) -> str:
        """Each facet on its own, named and indented (not one JSON blob)."""
        facets = obj.facets if isinstance(obj.facets, dict) else {}
        if not facets:
            return "—"
        return format_html_join(
            "",
            '<details open><summary><strong>{}</strong></summary><pre style="max-height: 20em; overflow: auto">'
            "{}</pre></details>",
            ((name, json.dumps(value, indent=2, default=str)) for name, value in sorted(facets.items())),
        )


@admin.register(Dataset)
class DatasetAdmin(ViewLinkMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "namespace", "entity", "version", "updated_at", "lineage_view")
    list_filter = ("namespace",)
    search_fields = ("name", "entity_urn")
    list_select_related = ("namespace",)
    fields = (
        "namespace",
        "name",
        "entity_urn",
        "description",
        "source_name",
        "version",
        "facets_shown",
        "created_at",
    )
    readonly_fields = fields
    inlines = [FieldInline]

    @admin.display(description="catalog entity")
    def entity(self, obj: Dataset) -> str:
        if not obj.entity_urn:
            return "—"
        return format_html('<a href="{}" title="{}">entity page</a>', reverse("entity-page", args=[obj.entity_urn]),
                           obj.entity_urn)  # fmt: skip


class RunInline(ReadOnlyMixin, admin.TabularInline):
    model = Run
    fields = ("run_id", "state", "started_at", "ended_at")
    readonly_fields = fields
    extra = 0
    ordering = ("-created_at",)
    max_num = 20


@admin.register(Job)
class JobAdmin(ViewLinkMixin, ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("name", "namespace", "job_type", "updated_at", "lineage_view")
    list_filter = ("namespace", "job_type")
    search_fields = ("name",)
    list_select_related = ("namespace",)
    fields = ("lineage_view", "namespace", "name", "job_type", "description", "facets_shown", "created_at")
    readonly_fields = fields
    inlines = [RunInline]


@admin.register(Run)
class RunAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("run_id", "job", "state", "started_at", "ended_at")
    list_filter = ("state",)
    search_fields = ("run_id", "job__name")
    list_select_related = ("job__namespace",)


class EdgeForm(forms.ModelForm):
    origin = forms.CharField(help_text="dataset:<namespace>:<name> or job:<namespace>:<name>")
    destination = forms.CharField(help_text="a job when the origin is a dataset, a dataset when it is a job")

    class Meta:
        model = Edge
        fields = ("confidence", "note")

    def clean(self):
        data = super().clean()
        try:
            ends = [node_by_id(data.get(key) or "") for key in ("origin", "destination")]
        except DictaMeshError as exc:
            raise forms.ValidationError(exc.message) from exc
        if ends[0].kind == ends[1].kind:
            raise forms.ValidationError(
                "An edge joins a dataset and a job (a job reads or writes a dataset)."
            )
        if Edge.objects.filter(source=ends[0], target=ends[1]).exists():
            raise forms.ValidationError("This edge already exists.")
        data["ends"] = ends
        return data


@admin.register(Edge)
class EdgeAdmin(admin.ModelAdmin):
    form = EdgeForm
    list_display = ("origin", "destination", "provenance", "confidence", "created_by", "last_seen_at")
    list_filter = ("provenance",)
    search_fields = ("source__name", "target__name")
    list_select_related = ("source__namespace", "target__namespace")
    actions = ["remove_edges"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # removal goes through the services: remove_edges
        return actions

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    @admin.display(description="origin")
    def origin(self, obj: Edge) -> str:
        return node_key(obj.source)

    @admin.display(description="destination")
    def destination(self, obj: Edge) -> str:
        return node_key(obj.target)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        services.edge_add(origin=data["origin"], destination=data["destination"],
                          confidence=data.get("confidence", 1.0), note=data.get("note") or "",
                          actor=user_principal(request.user))  # fmt: skip
        source, target = data["ends"]
        obj.__dict__.update(Edge.objects.get(source=source, target=target).__dict__)

    def delete_model(self, request, obj):
        services.edge_remove(origin=node_key(obj.source), destination=node_key(obj.target),
                             actor=user_principal(request.user))  # fmt: skip

    @admin.action(description="Remove the selected edges")
    def remove_edges(self, request, queryset):
        for edge in queryset.select_related("source__namespace", "target__namespace"):
            self.delete_model(request, edge)
        self.message_user(request, "Edges removed.")


class FreshnessForm(forms.ModelForm):
    dataset_id_text = forms.CharField(
        label="dataset", help_text="dataset:<namespace>:<name>, or its catalog URN"
    )

    class Meta:
        model = Freshness
        fields = ("sla_seconds",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["dataset_id_text"].initial = node_key(self.instance.dataset)
            self.fields["dataset_id_text"].disabled = True

    def clean(self):
        from .freshness import SLA_MAX, SLA_MIN

        data = super().clean()
        try:
            node = _dataset(data.get("dataset_id_text") or "")
        except DictaMeshError as exc:
            raise forms.ValidationError(exc.message) from exc
        if node.kind != "dataset":
            raise forms.ValidationError("A freshness SLA is set on a dataset.")
        sla = data.get("sla_seconds")
        if sla is not None and not SLA_MIN <= sla <= SLA_MAX:
            self.add_error("sla_seconds", f"From {SLA_MIN} to {SLA_MAX} seconds (a year).")
        data["node"] = node
        return data


@admin.register(Freshness)
class FreshnessAdmin(admin.ModelAdmin):
    """Freshness SLAs: set, changed and removed through the services (validation, events)."""

    form = FreshnessForm
    list_display = ("dataset_name", "sla_seconds", "status", "last_written", "breached_at", "checked_at")
    search_fields = ("dataset__name", "dataset__entity_urn")
    list_select_related = ("dataset__namespace",)
    actions = ["remove_slas"]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # removal goes through the services: remove_slas
        return actions

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        rows = list(changelist.result_list)
        written = last_written([r.dataset_id for r in rows])
        from django.utils import timezone

        now = timezone.now()
        self._states = {r.pk: freshness_state(r, written.get(r.dataset_id), now) for r in rows}
        return changelist

    def _state(self, obj) -> dict:
        from django.utils import timezone

        found = getattr(self, "_states", {}).get(obj.pk)
        return found or freshness_state(
            obj, last_written([obj.dataset_id]).get(obj.dataset_id), timezone.now()
        )

    @admin.display(description="dataset")
    def dataset_name(self, obj: Freshness) -> str:
        return node_key(obj.dataset)

    @admin.display(description="status")
    def status(self, obj: Freshness) -> str:
        return self._state(obj)["status"]

    @admin.display(description="last written")
    def last_written(self, obj: Freshness) -> str:
        return self._state(obj)["lastWrittenAt"] or "never"

    def save_model(self, request, obj, form, change):
        node = form.cleaned_data["node"]
        services.freshness_set(node_id=node_key(node), sla_seconds=form.cleaned_data["sla_seconds"],
                               actor=user_principal(request.user))  # fmt: skip
        obj.__dict__.update(Freshness.objects.get(dataset=node).__dict__)

    def delete_model(self, request, obj):
        services.freshness_remove(node_id=node_key(obj.dataset), actor=user_principal(request.user))

    @admin.action(description="Remove the selected SLAs")
    def remove_slas(self, request, queryset):
        for row in queryset.select_related("dataset__namespace"):
            self.delete_model(request, row)
        self.message_user(request, "SLAs removed.")


def _dataset(node_id: str):
    from .selectors import node_by_urn

    return node_by_urn(node_id) if node_id.startswith("dm:") else node_by_id(node_id)


@admin.register(ColumnEdge)
class ColumnEdgeAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("output", "input", "transformation_type", "job", "provenance")
    list_filter = ("provenance", "transformation_type")
    search_fields = ("output__name", "input__name")
    list_select_related = ("output__dataset", "input__dataset", "job")


@admin.register(PendingEvent)
class PendingEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ("event_id", "job_name", "run_id", "received_at", "attempts", "failed_at", "error_head")
    list_filter = ("failed_at",)
    search_fields = ("run_id", "job", "error")
    readonly_fields = (
        "event_id",
        "run_id",
        "job",
        "actor",
        "received_at",
        "attempts",
        "failed_at",
        "error",
        "work",
    )
    actions = ["retry"]

    def get_actions(self, request):  # the read-only mixin removes nothing here: retry is the one action
        return {name: value for name, value in super().get_actions(request).items() if name == "retry"}

    @admin.display(description="job")
    def job_name(self, obj: PendingEvent) -> str:
        return obj.job.replace("\x1f", ":")

    @admin.display(description="error")
    def error_head(self, obj: PendingEvent) -> str:
        return obj.error[:120]

    @admin.action(description="Apply the selected events again")
    def retry(self, request, queryset):
        count = services.pending_retry(ids=list(queryset.values_list("pk", flat=True)))
        left = PendingEvent.objects.filter(pk__in=queryset.values("pk"), failed_at__isnull=False).count()
        self.message_user(request, f"{count} events queued again; {left} failed again (see their error).")
