"""Data-subject requests in the admin: receive one, verify, discover, approve, retry or skip a failed source,
extend, cancel — each a service call, decided by governance — with the plan, the saga's steps (attempts,
errors) and the certificate on the request's page."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from apps.governance import public as governance
from dictamesh.contracts import parse
from dictamesh.errors import DictaMeshError
from dictamesh.events.context import user_principal
from dictamesh.saga import engine
from dictamesh.saga.models import SagaStep

from . import selectors, services
from .contracts import ExtendIn, RequestIn
from .models import Jurisdiction, Kind, SubjectRequest


class RequestForm(forms.ModelForm):
    email = forms.CharField(required=False, help_text="the subject's e-mail addresses, comma-separated")
    phone = forms.CharField(required=False, help_text="phone numbers, comma-separated")
    customer_id = forms.CharField(required=False, help_text="customer ids, comma-separated")
    jurisdiction = forms.ChoiceField(choices=[("", "by kind"), *Jurisdiction.choices], required=False)

    class Meta:
        model = SubjectRequest
        fields = ("kind", "jurisdiction", "assignee", "note")

    def clean(self):
        data = super().clean()
        identifiers = {k: [v.strip() for v in (data.get(k) or "").split(",") if v.strip()]
                       for k in ("email", "phone", "customer_id")}  # fmt: skip
        try:
            self.contract = parse(RequestIn, {
                "kind": data.get("kind"), "jurisdiction": data.get("jurisdiction") or None,
                "identifiers": {k: v for k, v in identifiers.items() if v}, "assignee": data.get("assignee") or "",
                "note": data.get("note") or "",
            })  # fmt: skip
        except DictaMeshError as exc:
            raise forms.ValidationError(exc.message) from exc
        return data


OPERATIONS = {
    "verify": "Identity verified",
    "discover": "Find the places",
    "approve": "Approve the plan and run it",
    "retry": "Retry the failed source",
    "skip": "Skip the failed source (reason)",
    "extend": "Extend the deadline (days, reason)",
    "cancel": "Cancel (reason)",
    "reject": "Reject (reason)",
}


@admin.register(SubjectRequest)
class SubjectRequestAdmin(admin.ModelAdmin):
    form = RequestForm
    change_form_template = "admin/privacy/request_change_form.html"
    list_display = ("reference", "kind", "jurisdiction", "state", "assignee", "deadline", "days_left")
    list_filter = ("state", "kind", "jurisdiction")
    search_fields = ("assignee",)
    ordering = ("-received_at",)

    def _may(self, request, action: str, obj=None) -> bool:
        reference = obj.reference if obj is not None else "admin"
        assignee = obj.assignee if obj is not None else ""
        return governance.dsr_decide(action=action, reference=reference, assignee=assignee,
                                     user=request.user).allowed  # fmt: skip

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_staff and self._may(request, "read", obj)

    def has_module_permission(self, request):
        return self.has_view_permission(request)

    def has_add_permission(self, request):
        return self.has_view_permission(request) and self._may(request, "manage")

    def has_change_permission(self, request, obj=None):
        return self.has_view_permission(request, obj) and self._may(request, "manage", obj)

    def has_delete_permission(self, request, obj=None):
        return False  # the register is proof: requests are closed, never deleted

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("kind", "jurisdiction", "email", "phone", "customer_id", "assignee", "note")
        return ("summary", "plan_view", "steps_view", "outcome_view")

    def get_readonly_fields(self, request, obj=None):
        return ("summary", "plan_view", "steps_view", "outcome_view") if obj else ()

    @admin.display(description="deadline")
    def deadline(self, obj):
        return services.deadline_of(obj)

    @admin.display(description="days left")
    def days_left(self, obj):
        return selectors.request_state(obj, saga=False)["days_left"]

    @admin.display(description="request")
    def summary(self, obj):
        state = selectors.request_state(obj, saga=False)
        extension = f"{obj.extended_by_days} days: {obj.extension_reason}" if obj.extended_by_days else "—"
        rows = [("kind", f"{obj.get_kind_display()} — {obj.jurisdiction.upper()}"), ("state", obj.state),
                ("subject", ", ".join(i["hint"] for i in state["identifiers"])),
                ("identity", f"{obj.verification} {obj.verification_note}".strip()), ("steward", obj.assignee or "—"),
                ("deadline", f"{state['deadline']:%Y-%m-%d} ({state['days_left']} days)"),
                ("extension", extension)]  # fmt: skip
        export = state["export"]
        if export and export.get("download_url"):
            link = '<a href="{}">download once</a> (until {:%Y-%m-%d %H:%M})'
            rows.append(("export", format_html(link, export["download_url"], export["expires_at"])))
        if obj.closed_at:
            rows.append(("certificate", format_html('<a href="/api/v1/privacy/requests/{}/certificate?format=text">'
                                                    "certificate</a>", obj.reference)))  # fmt: skip
        return format_html("<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows))

    @admin.display(description="places")
    def plan_view(self, obj):
        if not obj.plan:
            return "not discovered yet"
        rows = [(p["id"], p["source"], p["entity_type"], p["records"], ", ".join(p["matched"]), p["via"],
                 p["action"], p["held_by"] or "", p["problem"]) for p in obj.plan]  # fmt: skip
        head = "<tr><th>#</th><th>source</th><th>type</th><th>records</th><th>matched by</th><th>via</th>" \
               "<th>action</th><th>legal hold</th><th>problem</th></tr>"  # fmt: skip
        body = format_html_join("", "<tr>" + "<td>{}</td>" * 9 + "</tr>", rows)
        return format_html("<table>{}{}</table>", mark_safe(head), body)  # noqa: S308 - a constant

    @admin.display(description="saga steps")
    def steps_view(self, obj):
        if obj.saga_id is None:
            return "not run yet"
        steps = SagaStep.objects.filter(instance_id=obj.saga_id).order_by("index")
        rows = [(s.index + 1, s.name, s.state, s.attempts, s.error or s.note or "") for s in steps]
        head = "<tr><th>#</th><th>step</th><th>state</th><th>attempts</th><th>error or note</th></tr>"
        body = format_html_join("", "<tr>" + "<td>{}</td>" * 5 + "</tr>", rows)
        return format_html("<table>{}{}</table>", mark_safe(head), body)  # noqa: S308 - a constant

    @admin.display(description="outcome")
    def outcome_view(self, obj):
        if not obj.outcome:
            return "—"
        rows = [(o.get("source"), o.get("entity_type"), o.get("done"), (o.get("detail") or {}).get("records", ""),
                 (o.get("detail") or {}).get("held_by", "") or o.get("why", "")) for o in obj.outcome]  # fmt: skip
        return format_html("<table><tr><th>source</th><th>type</th><th>done</th><th>records</th><th>note</th></tr>"
                           "{}</table>", format_html_join("", "<tr>" + "<td>{}</td>" * 5 + "</tr>", rows))  # fmt: skip

    def save_model(self, request, obj, form, change):
        saved = services.request_create(request=form.contract, actor=user_principal(request.user))
        obj.__dict__.update(saved.__dict__)

    def get_urls(self):
        return [path("<int:pk>/act/", self.admin_site.admin_view(self.act), name="privacy_request_act"),
                *super().get_urls()]  # fmt: skip

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["operations"] = OPERATIONS
        return super().render_change_form(
            request, context, add=add, change=change, form_url=form_url, obj=obj
        )

    def act(self, request, pk: int):
        obj = SubjectRequest.objects.filter(pk=pk).first()
        back = reverse("admin:privacy_subjectrequest_change", args=[pk])
        if request.method != "POST" or obj is None or not self.has_change_permission(request, obj):
            messages.error(request, "Not allowed.")
            return HttpResponseRedirect(back)
        op, reason, actor = (
            request.POST.get("op", ""),
            request.POST.get("reason", "").strip(),
            user_principal(request.user),
        )
        try:
            if op == "verify":
                method = reason or "checked by the steward"
                services.request_verify(reference=obj.reference, verified=True, method=method, actor=actor)
            elif op == "discover":
                services.request_discover(reference=obj.reference, actor=actor)
            elif op == "approve":
                services.request_approve(reference=obj.reference, actor=actor)
            elif op == "retry" and obj.saga_id:
                engine.retry_step(instance_id=obj.saga_id, actor=actor, reason=reason)
            elif op == "skip" and obj.saga_id:
                engine.skip_step(instance_id=obj.saga_id, actor=actor, reason=reason)
            elif op == "extend":
                days, _, why = reason.partition(" ")
                extension = parse(ExtendIn, {"days": int(days) if days.isdigit() else 0, "reason": why})
                services.request_extend(reference=obj.reference, extension=extension, actor=actor)
            elif op == "cancel":
                services.request_cancel(
                    reference=obj.reference, reason=reason or "cancelled in the admin", actor=actor
                )
            elif op == "reject":
                services.request_reject(
                    reference=obj.reference, reason=reason or "rejected in the admin", actor=actor
                )
            else:
                raise DictaMeshError(f"{op!r} cannot be done now.")
        except DictaMeshError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{obj.reference}: {OPERATIONS.get(op, op).lower()} — done.")
        return HttpResponseRedirect(back)


__all__ = ["Kind", "SubjectRequestAdmin"]
