"""Redis: Django's cache (django-redis)."""

from config.env import ENV

DEV_REDIS_PORT = 16379

REDIS_URL = ENV.url(
    "REDIS_URL",
    default=None if ENV.name == "prod" else f"redis://127.0.0.1:{DEV_REDIS_PORT}/0",
    doc="Redis for the cache, rate limits and (by default) the Celery broker, e.g. redis://host:6379/0.",
    schemes=("redis", "rediss", "unix"),
    required_in_prod=True,
)

CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL or "redis://127.0.0.1:1/0",
        "KEY_PREFIX": "dictamesh",
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": 0.5,  # a Redis away costs a request this, once a second per process
            "SOCKET_TIMEOUT": 2,
        },
    }
}

DICTAMESH_READYZ_REQUIRED = ENV.list(
    "DICTAMESH_READYZ_REQUIRED",
    default=["database", "extensions", "migrations"],
    doc="The /readyz checks that answer 503 when they fail; the others (Redis, Kafka, the Celery broker) "
    "answer 200 with status degraded, since DictaMesh serves without them.",
)
