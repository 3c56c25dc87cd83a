#!/bin/sh
# The container's command: which process this copy of the image runs (Dockerfile, compose.yaml,
# README "Deploying on Google Cloud"). Each one is exec'd, so it is PID 1 and `docker stop` /
# Cloud Run's SIGTERM reaches its main process only: qcluster must not be signalled as a group
# (django-q2#346: its guard can hang), and gunicorn's master stops its own workers.
#
#   web       gunicorn + uvicorn workers on ${HOST:-0.0.0.0}:${PORT:-8000} (mediastudio/gunicorn_conf.py)
#   worker    the django-q2 cluster (Q_WORKERS processes)
#   migrate   apply database migrations, then exit (a one-off job before a release)
#   emulator  the offline Vertex / Pollinations / GCS stand-in (emulator/, through manage.py run_emulator;
#             compose only, never in production)
#   manage    any manage.py command: manage createsuperuser, manage provider_check, ...
set -eu

command="${1:-web}"
[ "$#" -gt 0 ] && shift

case "$command" in
    web)
        exec gunicorn --config python:mediastudio.gunicorn_conf --bind "${HOST:-0.0.0.0}:${PORT:-8000}" \
            "$@" mediastudio.asgi:application ;;
    worker)
        exec python manage.py qcluster "$@" ;;
    migrate)
        exec python manage.py migrate --noinput "$@" ;;
    emulator)
        exec python manage.py run_emulator --host "${HOST:-0.0.0.0}" "$@" ;;
    manage)
        exec python manage.py "$@" ;;
    *)
        echo "usage: web | worker | migrate | emulator | manage COMMAND [ARGS...] (not '$command')" >&2
        exit 64 ;;
esac
