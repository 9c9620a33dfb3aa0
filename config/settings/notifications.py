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
DICTAMESH_SLACK_API_URL = ENV.str(
    "DICTAMESH_SLACK_API_URL", default="https://slack.com/api", doc="Slack Web API (chat.postMessage)."
)
DICTAMESH_SLACK_BOT_TOKEN = ENV.str(
    "DICTAMESH_SLACK_BOT_TOKEN",
    default="",
    doc="Bot token for chat.postMessage (#channel addresses).",
    secret=True,
)
DICTAMESH_PAGERDUTY_URL = ENV.str(
    "DICTAMESH_PAGERDUTY_URL",
    default="https://events.pagerduty.com/v2/enqueue",
    doc="PagerDuty Events API v2 endpoint.",
)
DICTAMESH_SMS_URL = ENV.str("DICTAMESH_SMS_URL", default="", doc="The SMS provider's HTTP endpoint.")
DICTAMESH_SMS_FROM = ENV.str("DICTAMESH_SMS_FROM", default="DictaMesh", doc="Sender of SMS notifications.")
DICTAMESH_SMS_TOKEN = ENV.str(
    "DICTAMESH_SMS_TOKEN", default="", doc="Bearer token of the SMS provider.", secret=True
)
DICTAMESH_PUSH_URL = ENV.str(
    "DICTAMESH_PUSH_URL", default="", doc="The push provider's send endpoint (FCM-style)."
)
DICTAMESH_PUSH_TOKEN = ENV.str(
    "DICTAMESH_PUSH_TOKEN", default="", doc="Bearer token of the push provider.", secret=True
)
DICTAMESH_NOTIFY_RATE_PER_MINUTE = ENV.int(
    "DICTAMESH_NOTIFY_RATE_PER_MINUTE",
    default=30,
    minimum=0,
    doc=(
        "Notifications one recipient gets per minute on one channel (a token bucket in Redis); the excess "
        "waits for tokens, never dropped. Critical ones are not limited. 0: no limit."
    ),
)
DICTAMESH_NOTIFY_MANDATORY_TYPES = ENV.list(
    "DICTAMESH_NOTIFY_MANDATORY_TYPES",
    default=["dictamesh.governance.dsr.*"],
    doc="Notification types users cannot turn off (a trailing * matches a prefix).",
)
