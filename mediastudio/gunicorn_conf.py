"""gunicorn's settings wherever the web tier runs: `make run` (run_local), the container, Cloud Run.

    gunicorn -c python:mediastudio.gunicorn_conf --bind 127.0.0.1:8000 mediastudio.asgi:application

gunicorn is the process manager (a listen backlog of 2048, workers restarted when they die or hang,
graceful stops on SIGTERM); each worker is uvicorn's event loop serving mediastudio/asgi.py, which
streams media asynchronously and runs Django's pages in a thread pool. Why this shape, with the
measurements behind it: README "Serving".

Environment: WEB_CONCURRENCY worker processes (default 2), WEB_THREADS Django threads per worker
(read by mediastudio/asgi.py, default 8), FORWARDED_ALLOW_IPS (gunicorn's own: who may set
X-Forwarded-For/-Proto; "*" behind Cloud Run's front end), GUNICORN_CMD_ARGS for anything else.
"""

from __future__ import annotations

import os

from uvicorn_worker import UvicornWorker


class Worker(UvicornWorker):
    """uvicorn under gunicorn, without a Server header (no banner that names our software).

    Overriding CONFIG_KWARGS is how uvicorn-worker documents changing uvicorn's settings. Lifespan
    is on: mediastudio/asgi.py hands its events to the MCP server, whose session manager must run
    before /mcp answers; a worker that cannot start it fails to boot rather than serving errors.
    """

    CONFIG_KWARGS = {**UvicornWorker.CONFIG_KWARGS, "server_header": False, "lifespan": "on"}


worker_class = "mediastudio.gunicorn_conf.Worker"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# Connections the kernel queues while every worker is busy; Django's runserver had 10.
backlog = 2048
# A worker whose event loop has not checked in for this long is killed and replaced. Downloads do
# not count: they are awaited on the loop, which keeps checking in.
timeout = 60
# On SIGTERM, requests in progress get this long to finish.
graceful_timeout = 20
# Idle keep-alive connections are closed after this many seconds.
keepalive = 5
