"""The stewards' catalog admin: search, facet filters, relationships, history with diffs, bulk actions.

Every change made here goes through the services (a new version, an event, cache invalidation).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.postgres.fields import ArrayField
from django.db.models import BigIntegerField, F, Func, IntegerField, Q, Value
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from dictamesh.contracts import parse
from dictamesh.errors import DictaMeshError
from dictamesh.events.context import user_principal

from . import governed, selectors, services, stewardship
from .contracts import EntityChanges
from .models import Classification, Domain, Entity, EntityOwner, OwnerRole, Relationship, SourceSystem
from .relationships import relationship_add
from .search import matching_ids
from .state import diff_states


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ("name", "display_name", "owner", "created_at")
    search_fields = ("name", "display_name")


@admin.register(SourceSystem)
class SourceSystemAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "owner", "connection_ref", "created_at")
    list_filter = ("kind",)
    search_fields = ("name", "display_name")


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [("live", "live"), ("deprecated", "deprecated"), ("deleted", "deleted")]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "live":
            return queryset.filter(deleted_at__isnull=True, deprecated_at__isnull=True)
        if value == "deprecated":
            return queryset.filter(deleted_at__isnull=True, deprecated_at__isnull=False)
        if value == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


class TagFilter(admin.SimpleListFilter):
    title = "tag"
    parameter_name = "tag"

    def lookups(self, request, model_admin):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT t, count(*) FROM (SELECT unnest(tags) AS t FROM dictamesh_catalog_entity"
                " WHERE deleted_at IS NULL LIMIT 200000) s GROUP BY t ORDER BY count(*) DESC, t LIMIT 30"
            )
            return [(tag, f"{tag} ({count})") for tag, count in cursor.fetchall()]

    def queryset(self, request, queryset):
        return queryset.filter(tags__contains=[self.value()]) if self.value() else queryset


class OwnerInline(admin.TabularInline):
    model = EntityOwner
    extra = 0
    fields = ("principal", "role")
    readonly_fields = ("principal", "role")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RelationshipInline(admin.TabularInline):
    """The entity's relationships, named and linked to the other entity's page; only those whose other end the
    steward may read."""

    model = Relationship
    fk_name = "source"
    other = "target"
    extra = 0
    fields = ("predicate", "other_entity", "bidirectional", "confidence", "provenance")
    readonly_fields = fields
    can_delete = False
    show_change_link = False
    verbose_name_plural = "relationships out (this → predicate → other)"

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related(self.other)
        visible = governed.visible(request)
        if visible:
            readable = Entity.objects.filter(selectors.EntityFilter(visible=visible).q()).values("pk")
            queryset = queryset.filter(**{f"{self.other}__in": readable})
        return queryset

    @admin.display(description="other entity")
    def other_entity(self, rel: Relationship) -> str:
        entity = getattr(rel, self.other)
        return format_html(
            '<a href="{}">{}</a> <span class="quiet">{} · {}</span>',
            reverse("entity-page", args=[entity.urn]),
            entity.display_name or entity.name,
            entity.entity_type,
            entity.urn,
        )


class IncomingRelationshipInline(RelationshipInline):
    fk_name = "target"
    other = "source"
    verbose_name_plural = "relationships in (other → predicate → this)"


class EntityForm(forms.ModelForm):
    tags = forms.CharField(required=False, help_text="Comma separated.")

    class Meta:
        model = Entity
        fields = ("display_name", "description", "classification", "tags", "properties", "schema_subject")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and self.instance.pk:
            self.initial["tags"] = ", ".join(self.instance.tags)

    def clean_tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["tags"].split(",") if t.strip()]


class OwnerForm(forms.Form):
    principal = forms.CharField(help_text="user:<name> or group:<name>")
    role = forms.ChoiceField(choices=OwnerRole.choices)


class TagForm(forms.Form):
    tags = forms.CharField(help_text="Comma separated tags to add.")


class ClassifyForm(forms.Form):
    classification = forms.ChoiceField(choices=Classification.choices)


class RelateForm(forms.Form):
    target = forms.CharField(help_text="The URN of the entity to relate the selected ones to.")
    predicate = forms.CharField(
        initial="related_to", help_text="one_to_many, references, … (lower_snake_case)"
    )
    bidirectional = forms.BooleanField(required=False)
    confidence = forms.FloatField(initial=1.0, min_value=0.0, max_value=1.0)


class DeprecateForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea, help_text="Why, and what to use instead.")


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    form = EntityForm
    list_display = ("urn", "name", "entity_type", "domain", "source", "classification", "version", "status")
    list_filter = (StatusFilter, "domain", "source", "entity_type", "classification", TagFilter)
    list_select_related = ("domain", "source")
    search_fields = ("urn",)  # see get_search_results: full-text and typo-tolerant name matching
    search_help_text = "Words (full-text) or a name with typos; an exact URN."
    readonly_fields = (
        "urn", "entity_type", "name", "domain", "source", "source_key", "version", "created_at",
        "updated_at", "deprecated_at", "deprecation_note", "deleted_at", "last_synced_at",
    )  # fmt: skip
    inlines = [OwnerInline, RelationshipInline, IncomingRelationshipInline]
    actions = ["assign_owner", "add_tags", "classify", "relate", "deprecate"]
    show_full_result_count = False
    list_per_page = 50

    def has_add_permission(self, request):
        return False  # entities arrive through the API, bulk upsert and adapters

    def view_on_site(self, obj: Entity) -> str:
        """The admin's "view on site": the entity's page (columns, PII, lineage, live data, history)."""
        return reverse("entity-page", args=[obj.urn])

    def get_queryset(self, request):
        """Only the entities the steward may read (governance policies), deleted ones included."""
        visible = governed.visible(request)
        queryset = super().get_queryset(request)
        return queryset.filter(selectors.EntityFilter(visible=visible).q()) if visible else queryset

    def get_object(self, request, object_id, from_field=None):
        """None (the admin says it does not exist) for an entity the steward may not read; else the entity,
        with its state as this steward may see it (sensitive properties masked)."""
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            from .state import entity_state

            obj.shown = governed.entity(request, entity_state(obj))
        return obj

    @staticmethod
    def _masks(obj) -> bool:
        return obj is not None and bool(getattr(obj, "shown", {}).get("masked_fields"))

    def get_readonly_fields(self, request, obj=None):
        """A steward who may not read some properties unmasked sees them masked, and cannot edit them."""
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "properties_masked") if self._masks(obj) else fields

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if self._masks(obj):
            fields = [f for f in fields if f not in ("properties", "properties_masked")] + [
                "properties_masked"
            ]
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        if self._masks(obj):
            kwargs["fields"] = [f for f in EntityForm.Meta.fields if f != "properties"]
        return super().get_form(request, obj, change, **kwargs)

    @admin.display(description="properties (masked)")
    def properties_masked(self, obj: Entity) -> str:
        import json

        shown = getattr(obj, "shown", None) or {"properties": {}, "masked_fields": []}
        masked = ", ".join(shown.get("masked_fields", []))
        return f"{json.dumps(shown['properties'], indent=2, default=str)}\n(masked: {masked})"

    @admin.display(description="status")
    def status(self, obj: Entity) -> str:
        if obj.deleted_at:
            return "deleted"
        return "deprecated" if obj.deprecated_at else "live"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        ranked = matching_ids(term)
        position = Func(  # the full-text rank, so the best match comes first (not the first URN)
            Value(ranked, output_field=ArrayField(BigIntegerField())), F("pk"),
            function="array_position", output_field=IntegerField(),
        )  # fmt: skip
        return queryset.filter(Q(urn=term) | Q(pk__in=ranked)).annotate(dm_rank=position), False

    def get_ordering(self, request):
        """Searched: by relevance (a column's header still sorts by it); else the default."""
        if request.GET.get("q", "").strip():
            return [F("dm_rank").asc(nulls_first=True)]  # an exact URN (no rank) first
        return super().get_ordering(request)

    def save_model(self, request, obj, form, change):
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        if changes:
            try:
                services.entity_update(
                    urn=obj.urn,
                    changes=parse(EntityChanges, changes, partial=True),
                    actor=user_principal(request.user),
                    check=governed.write_check(request),
                )
            except DictaMeshError as exc:
                self.message_user(request, f"Not saved: {exc.message} {exc.fields or ''}", messages.ERROR)

    def history_view(self, request, object_id, extra_context=None):
        """The entity's versions, each with its field-level diff to the one before."""
        entity = get_object_or_404(self.get_queryset(request), pk=object_id)
        versions = governed.versions(request, None, selectors.entity_history(urn=entity.urn))
        rows, previous = [], None
        for version in versions:
            rows.append({"version": version, "diff": diff_states(previous, version.state)})
            previous = version.state
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "object": entity,
            "title": f"History of {entity.urn}",
            "rows": list(reversed(rows)),
        }
        return TemplateResponse(request, "admin/catalog/entity/version_history.html", context)

    # -- bulk actions: an intermediate form, then a normal versioned change per entity --------------
    def _bulk(self, request, queryset, *, form_class, title, apply):
        form = form_class(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            urns = list(queryset.values_list("urn", flat=True))
            try:
                results = apply(urns, form.cleaned_data, user_principal(request.user))
            except DictaMeshError as exc:
                self.message_user(request, f"{title}: {exc.message} {exc.fields or ''}", messages.ERROR)
                return None
            failed = [r for r in results if r.status == "error"]
            changed = sum(1 for r in results if r.status not in ("error", "unchanged"))
            self.message_user(
                request, f"{title}: {changed} changed, {len(results) - changed - len(failed)} unchanged."
            )
            for result in failed[:10]:
                self.message_user(request, f"{result.urn}: {result.error.message}", messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "queryset": queryset[:200],
            "count": queryset.count(),
            "action": request.POST.get("action"),
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/catalog/entity/bulk_action.html", context)

    @admin.action(description="Assign an owner")
    def assign_owner(self, request, queryset):
        return self._bulk(
            request, queryset, form_class=OwnerForm, title="Assign an owner",
            apply=lambda urns, data, actor: stewardship.entities_bulk_edit(
                urns=urns, add_owner={"principal": data["principal"], "role": data["role"]}, actor=actor,
                check=governed.write_check(request)
            ),
        )  # fmt: skip

    @admin.action(description="Add tags")
    def add_tags(self, request, queryset):
        return self._bulk(
            request, queryset, form_class=TagForm, title="Add tags",
            apply=lambda urns, data, actor: stewardship.entities_bulk_edit(
                urns=urns, add_tags=[t.strip() for t in data["tags"].split(",") if t.strip()], actor=actor,
                check=governed.write_check(request)
            ),
        )  # fmt: skip

    @admin.action(description="Classify")
    def classify(self, request, queryset):
        return self._bulk(
            request, queryset, form_class=ClassifyForm, title="Classify",
            apply=lambda urns, data, actor: stewardship.entities_bulk_edit(
                urns=urns, classification=data["classification"], actor=actor,
                check=governed.write_check(request)
            ),
        )  # fmt: skip

    @admin.action(description="Relate to an entity")
    def relate(self, request, queryset):
        def apply(urns, data, actor):
            results = []
            for i, urn in enumerate(urns):
                try:
                    _, status = relationship_add(
                        source=urn, target=data["target"].strip(), predicate=data["predicate"].strip(),
                        bidirectional=data["bidirectional"], confidence=data["confidence"],
                    )  # fmt: skip
                    results.append(services.ItemResult(i, urn, status))
                except DictaMeshError as exc:
                    results.append(services.ItemResult(i, urn, "error", error=exc))
            return results

        return self._bulk(request, queryset, form_class=RelateForm, title="Relate to an entity", apply=apply)

    @admin.action(description="Deprecate")
    def deprecate(self, request, queryset):
        def apply(urns, data, actor):
            results = []
            for i, urn in enumerate(urns):
                entity = services.entity_deprecate(urn=urn, note=data["note"], actor=actor)
                results.append(services.ItemResult(i, urn, "updated", entity.version))
            return results

        return self._bulk(request, queryset, form_class=DeprecateForm, title="Deprecate", apply=apply)
