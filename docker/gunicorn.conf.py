"""gunicorn for the DictaMesh web role."""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = 30
accesslog = None  # requests are logged (JSON) and counted by DictaMesh itself
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def child_exit(server, worker):
    """Prometheus multi-process mode: forget the live gauges of a dead worker."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
