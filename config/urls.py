from django.contrib import admin
from django.contrib.auth.views import LoginView, LogoutView
from django.urls import path

from apps.catalog.pages import search_page
from apps.lineage.views import lineage_view
from dictamesh.auth import oidc
from dictamesh.auth.views import tokens_page
from dictamesh.health.views import healthz, readyz
from dictamesh.observability.views import metrics_view

from .entity_page import entity_page
from .home import home
from .lean_urls import API_PATTERNS

handler500 = "dictamesh.api.guard.server_error"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    *API_PATTERNS,  # the GraphQL endpoint, the REST API and the schema registry (config/lean_urls.py)
    path("lineage/<path:node>", lineage_view, name="lineage-view"),
    path("admin/", admin.site.urls),
    path("", home, name="home"),
    path("search", search_page, name="search"),
    path("entities/<path:urn>/", entity_page, name="entity-page"),
    path("account/tokens/", tokens_page, name="account-tokens"),
    path(
        "accounts/login/",
        LoginView.as_view(template_name="admin/login.html", extra_context={"site_header": "DictaMesh"}),
        name="login",
    ),
    path("oidc/authenticate/", oidc.authenticate_view, name="oidc_authentication_init"),
    path("oidc/callback/", oidc.callback_view, name="oidc_authentication_callback"),
    path("accounts/logout/", LogoutView.as_view(next_page="/"), name="logout"),
]
