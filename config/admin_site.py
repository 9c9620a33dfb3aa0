"""The admin as the stewards' tool: its index arranged around their tasks (with what needs attention in
each), the tables behind them listed below. Installed as Django's default admin site (config.apps)."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig

# (task, what it is for, [(label, app label, model, filter)]) — a link shows only to who may open its table
TASKS = [
    ("Classify and protect", "Confirm what detection suggests; decide who reads what.", [
        ("PII suggestions to confirm", "governance", "fieldclassification", "?status__exact=suggested"),
        ("Access policies", "governance", "policy", ""),
        ("Roles", "governance", "role", ""),
        ("Who read sensitive fields", "governance", "accessaudit", ""),
    ]),
    ("Curate the catalog", "Owners, tags, classification, relationships, deprecation (bulk actions).", [
        ("Entities", "catalog", "entity", ""),
        ("Domains", "catalog", "domain", ""),
        ("Source systems", "catalog", "sourcesystem", ""),
    ]),
    ("Sources and syncs", "Adapters that fill the catalog and serve live data.", [
        ("Adapter instances", "adapters", "adapterinstance", ""),
        ("Failed syncs", "adapters", "syncrun", "?status__exact=failed"),
        ("Event routing rules", "dictamesh_events", "routingrule", ""),
        ("Event log", "dictamesh_events", "eventlog", ""),
    ]),
    ("Contracts and lineage", "Schema subjects, their compatibility; datasets, jobs, freshness.", [
        ("Schema subjects", "schemas", "subject", ""),
        ("Compatibility and mode", "schemas", "config", ""),
        ("Lineage datasets", "lineage", "dataset", ""),
        ("Freshness SLAs", "lineage", "freshness", ""),
    ]),
    ("Retention and consent", "What is kept, for how long, and why not deleted.", [
        ("Retention policies", "governance", "retentionpolicy", ""),
        ("Legal holds", "governance", "legalhold", ""),
        ("Retention runs", "governance", "retentionrun", ""),
        ("Consent records", "governance", "consentrecord", ""),
    ]),
    ("Notifications", "Who is told of what, and what failed to reach them.", [
        ("Failed notifications", "notifications", "notification", "?status__exact=failed"),
        ("Subscriptions", "notifications", "subscription", ""),
        ("Templates", "notifications", "template", ""),
    ]),
    ("People and access", "Users, their groups (from single sign-on or here) and API tokens.", [
        ("Users", "auth", "user", ""),
        ("Groups", "auth", "group", ""),
        ("API tokens", "dictamesh_auth", "apitoken", ""),
    ]),
]  # fmt: skip


class DictaMeshAdminSite(admin.AdminSite):
    site_header = "DictaMesh"
    site_title = "DictaMesh admin"
    index_title = "Data stewardship"
    index_template = "admin/dictamesh_index.html"
    # the left sidebar of every table took a quarter of a 1400 px screen and cut the lists off; the index's
    # tasks and the breadcrumbs are the way around
    enable_nav_sidebar = False

    def tasks(self, request, app_list: list[dict]) -> list[dict]:
        opened = {
            (app["app_label"], model["object_name"].lower()): model.get("admin_url")
            for app in app_list
            for model in app["models"]
            if model.get("admin_url")
        }
        out = []
        for title, purpose, links in TASKS:
            shown = [
                {"label": label, "href": opened[(app, model)] + query}
                for label, app, model, query in links
                if (app, model) in opened
            ]
            if shown:
                out.append({"title": title, "purpose": purpose, "links": shown})
        return out

    def index(self, request, extra_context=None):
        from .home import attention

        app_list = self.get_app_list(request)
        context = {
            "tasks": self.tasks(request, app_list),
            "attention": attention() if request.user.is_staff else [],
            **(extra_context or {}),
        }
        return super().index(request, context)


class DictaMeshAdminConfig(AdminConfig):
    default_site = "config.admin_site.DictaMeshAdminSite"
