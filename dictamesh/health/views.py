from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_GET

from .checks import run_checks


@require_GET
def healthz(request):
    """Liveness: 200 while the process can answer."""
    return HttpResponse("ok\n", content_type="text/plain")


@require_GET
def readyz(request):
    """Readiness: every dependency, each with its latency; 503 when one fails."""
    results = run_checks()
    ok = all(result.ok for result in results.values())
    body = {"status": "ok" if ok else "fail", "checks": {name: r.as_dict() for name, r in results.items()}}
    return JsonResponse(body, status=200 if ok else 503)
