from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from .checks import run_checks


@require_GET
def healthz(request):
    """Liveness: 200 while the process can answer."""
    return HttpResponse("ok\n", content_type="text/plain")


@require_GET
def readyz(request):
    """Readiness: every dependency, each with its latency. 503 ("fail") when a required one fails
    (``DICTAMESH_READYZ_REQUIRED``: PostgreSQL by default); 200 "degraded" when only others do (Redis,
    Kafka, the Celery broker: DictaMesh serves without them), with the mode this process runs in."""
    from dictamesh.redis_state import REDIS

    results = run_checks()
    required = set(settings.DICTAMESH_READYZ_REQUIRED)
    failing = {name for name, result in results.items() if not result.ok}
    status = "fail" if failing & required else "degraded" if failing else "ok"
    body = {
        "status": status,
        "mode": {"redis": REDIS.status()["mode"]},
        "checks": {name: r.as_dict() for name, r in results.items()},
    }
    return JsonResponse(body, status=503 if status == "fail" else 200)
