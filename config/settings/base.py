"""Core Django settings: apps, middleware, templates, static files, security."""

from config.env import BASE_DIR, ENV

DICTAMESH_ENV = ENV.name
DICTAMESH_DATA_DIR = ENV.data_dir

SECRET_KEY = ENV.str(
    "DJANGO_SECRET_KEY",
    default=None if ENV.name == "prod" else "dictamesh-insecure-development-key-do-not-use-in-production",
    doc="Django's secret key (sessions, signing). Required in prod; at least 50 characters.",
    secret=True,
    required_in_prod=True,
)
if ENV.name == "prod" and SECRET_KEY and len(SECRET_KEY) < 50:
    ENV.problem("DJANGO_SECRET_KEY must be at least 50 characters long in prod")

DEBUG = ENV.bool("DJANGO_DEBUG", default=ENV.name == "dev", doc="Django debug mode. Never true in prod.")
if ENV.name == "prod" and DEBUG:
    ENV.problem("DJANGO_DEBUG must be false in prod")

ALLOWED_HOSTS = ENV.list(
    "DJANGO_ALLOWED_HOSTS",
    default=["localhost", "127.0.0.1", "[::1]", "testserver"] if ENV.name != "prod" else [],
    doc="Host names this deployment answers to, comma separated. Required in prod.",
)
if ENV.name == "prod" and not ALLOWED_HOSTS:
    ENV.problem("DJANGO_ALLOWED_HOSTS is required in prod: host names this deployment answers to")
CSRF_TRUSTED_ORIGINS = ENV.list(
    "DJANGO_CSRF_TRUSTED_ORIGINS",
    default=[],
    doc="Origins (scheme://host[:port]) trusted for CSRF-protected POSTs such as the admin behind a proxy.",
)

INSTALLED_APPS = [
    "django_prometheus",
    "config.admin_site.DictaMeshAdminConfig",  # django.contrib.admin, its index arranged by stewards' tasks
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "graphene_django",
    "graphene_django_graphiql_static",  # GraphiQL's assets, served by DictaMesh (no CDN)
    "ninja",
    # core library apps
    "dictamesh.core",
    "dictamesh.observability",
    "dictamesh.auth",
    "dictamesh.events",
    "dictamesh.saga",
    # product apps
    "apps.catalog",
    "apps.schemas",
    "apps.lineage",
    "apps.governance",
    "apps.notifications",
    "apps.adapters",
    "apps.privacy",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "dictamesh.observability.middleware.RequestContextMiddleware",
    "dictamesh.api.guard.InputGuardMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "dictamesh.auth.middleware.TokenAuthenticationMiddleware",
    "dictamesh.events.context.ActorMiddleware",
    "apps.governance.middleware.AccessAuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "dictamesh.observability.middleware.RouteMetricsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

if ENV.name == "prod":  # runserver serves static files in dev; WhiteNoise behind Granian
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.middleware.security.SecurityMiddleware") + 1,
        "whitenoise.middleware.WhiteNoiseMiddleware",
    )

ROOT_URLCONF = "config.urls"
LOGIN_URL = "/accounts/login/"  # any signed-up user (the admin's own login admits staff only)
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "config" / "templates"],  # the composition root's pages (the home page)
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "dictamesh.auth.oidc.context",  # the single sign-on button, when a provider is configured
            ],
        },
    },
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]  # the composition root's pages' scripts (the entity page)
STATIC_ROOT = ENV.path(
    "DJANGO_STATIC_ROOT",
    default=BASE_DIR / "staticfiles",
    doc="Where `collectstatic` puts admin and GraphiQL assets (served by WhiteNoise).",
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if ENV.name == "prod"
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SECURE_SSL_REDIRECT = ENV.bool(
    "DJANGO_SECURE_SSL_REDIRECT",
    default=False,
    doc="Redirect plain HTTP to HTTPS in Django (leave false when the ingress or proxy does it).",
)
SECURE_HSTS_SECONDS = ENV.int(
    "DJANGO_SECURE_HSTS_SECONDS",
    default=0,
    minimum=0,
    doc="Strict-Transport-Security max-age in seconds; set it once the site is served only over HTTPS.",
)
SESSION_COOKIE_SECURE = ENV.name == "prod"
CSRF_COOKIE_SECURE = ENV.name == "prod"
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
