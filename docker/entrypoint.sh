#!/bin/sh
# Roles of the DictaMesh image: web | worker | beat | relay | consumers | migrate | <any command>
set -eu
reset_metrics() {
  mkdir -p "${PROMETHEUS_MULTIPROC_DIR:-/tmp/dictamesh-metrics}"
  rm -f "${PROMETHEUS_MULTIPROC_DIR:-/tmp/dictamesh-metrics}"/*.db
}
role="${1:-web}"
case "$role" in
  web)
    reset_metrics
    export DICTAMESH_PROCESS=web
    # Granian: HTTP parsed in Rust, Django in Python threads (ADR 0013); GRANIAN_* variables tune it further
    exec granian config.wsgi:application --interface wsgi --host 0.0.0.0 --port "${WEB_PORT:-8000}" \
      --workers "${WEB_CONCURRENCY:-4}" --blocking-threads "${WEB_THREADS:-4}" --runtime-threads 1 \
      --http 1 --no-ws --respawn-failed-workers --workers-kill-timeout 30 --log-level warning ;;
  worker)
    reset_metrics
    export DICTAMESH_PROCESS=worker DICTAMESH_METRICS_PORT="${DICTAMESH_METRICS_PORT:-9808}"
    exec celery -A config worker -l INFO --concurrency "${WORKER_CONCURRENCY:-4}" ;;
  beat)
    export DICTAMESH_PROCESS=beat
    exec celery -A config beat -l INFO -s /tmp/celerybeat-schedule ;;
  migrate)
    export DICTAMESH_PROCESS=cli
    python manage.py migrate --no-input
    exec python manage.py kafka_topics sync ;;
  relay)
    reset_metrics
    export DICTAMESH_PROCESS=events DICTAMESH_METRICS_PORT="${DICTAMESH_METRICS_PORT:-9808}"
    exec python manage.py run_outbox_relay ;;
  consumers)
    reset_metrics
    export DICTAMESH_PROCESS=events DICTAMESH_METRICS_PORT="${DICTAMESH_METRICS_PORT:-9808}"
    exec python manage.py run_consumers ;;
  *)
    exec "$@" ;;
esac
