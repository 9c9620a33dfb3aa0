"""Notifications: the SMTP server e-mail goes through, webhook signing, delivery timeouts and retries."""

from config.env import ENV

DICTAMESH_EMAIL_BACKEND = ENV.str(
    "DICTAMESH_EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend",
    doc="Django e-mail backend of the e-mail channel (SMTP; the console backend prints messages instead).",
)
EMAIL_HOST = ENV.str("EMAIL_HOST", default="localhost", doc="SMTP server of the e-mail channel.")
EMAIL_PORT = ENV.int("EMAIL_PORT", default=25, minimum=1, doc="SMTP port of the e-mail channel.")
EMAIL_HOST_USER = ENV.str("EMAIL_HOST_USER", default="", doc="SMTP user name (empty: no authentication).")
EMAIL_HOST_PASSWORD = ENV.str("EMAIL_HOST_PASSWORD", default="", doc="SMTP password.", secret=True)
EMAIL_USE_TLS = ENV.bool("EMAIL_USE_TLS", default=False, doc="STARTTLS to the SMTP server.")
DEFAULT_FROM_EMAIL = ENV.str(
    "DEFAULT_FROM_EMAIL", default="DictaMesh <dictamesh@localhost>", doc="Sender of notification e-mails."
)
DICTAMESH_NOTIFY_WEBHOOK_SECRET = ENV.str(
    "DICTAMESH_NOTIFY_WEBHOOK_SECRET",
    default="",
    doc="Secret the webhook channel signs deliveries with (HMAC-SHA256, see dictamesh.signing); empty: unsigned.",
    secret=True,
)
DICTAMESH_NOTIFY_TIMEOUT_SECONDS = ENV.float(
    "DICTAMESH_NOTIFY_TIMEOUT_SECONDS", default=10.0, doc="Longest a channel waits for a server to answer."
)
DICTAMESH_NOTIFY_MAX_ATTEMPTS = ENV.int(
    "DICTAMESH_NOTIFY_MAX_ATTEMPTS",
    default=6,
    minimum=1,
    doc="Attempts at a notification that fails transiently (timeouts, 429, 5xx), with exponential backoff.",
)
