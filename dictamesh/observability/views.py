from django.http import HttpResponse
from prometheus_client import CONTENT_TYPE_LATEST

from .metrics import exposition


def metrics_view(request):
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
