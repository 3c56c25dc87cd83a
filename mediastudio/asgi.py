"""The web entry point that `make run` and the container serve (gunicorn with uvicorn workers,
mediastudio/gunicorn_conf.py).

One event loop per worker process, two Django handlers behind it, chosen by path:

- Files (STATIC_URL, which holds the FREE sample clips, and MEDIA_URL while Django streams media
  itself: local files with no nginx in front) go to Django's ASGI handler. Media bodies are async
  iterators (studio/serving.py), so a slow viewer costs a socket on the loop, not a thread: 10
  viewers on a slow line do not queue anyone's page. A GCS redirect or an X-Accel-Redirect is a
  short answer like a page's, so with either, media take the pages' path.
- Everything else goes to Django's WSGI handler in a pool of WEB_THREADS threads (a2wsgi). Under
  Django's ASGI handler every request to sync code starts a new thread (asgiref's per-request
  thread-sensitive context) and adapts the sync middleware: the bare view measured 2.0-2.9 ms
  there against 0.7 ms in this pool (README "Serving"), and the API's views are sync ORM code.

Both handlers run the same settings, URLs and middleware; only the way bytes leave differs.

- /mcp goes to the MCP server (studio/mcp_server.py), a Starlette app of the official `mcp` SDK,
  which is ASGI only: mounted here it is served by the same gunicorn/uvicorn workers, port and
  proxy as the pages, with no second process to deploy. It is stateless (no session held in
  one worker), so any worker answers any request. It does not pass through Django's middleware:
  its own bearer auth (the API tokens) and Host allowlist (from ALLOWED_HOSTS) stand in.
- The lifespan events go to that app too: they start and stop the SDK's session manager, which
  every /mcp request needs (Django has no lifespan of its own). gunicorn_conf.py turns them on.
"""

from __future__ import annotations

import os
from typing import cast

from a2wsgi import WSGIMiddleware
from a2wsgi.wsgi_typing import WSGIApp
from django.conf import settings
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mediastudio.settings")

_files = get_asgi_application()
# Django's handler returns a response object, which is the iterable of bytes WSGI asks for.
_pages = WSGIMiddleware(
    cast(WSGIApp, get_wsgi_application()), workers=int(os.environ.get("WEB_THREADS", "8"))
)
# After Django is set up (the handlers above): the MCP server imports the models.
from studio import mcp_server  # noqa: E402

_mcp = mcp_server.asgi_app()
_streams_media = not settings.GCS_BUCKET and not settings.MEDIA_ACCEL_REDIRECT_PREFIX
FILE_PREFIXES = tuple(
    "/" + url.lstrip("/") for url in (settings.STATIC_URL, *([settings.MEDIA_URL] if _streams_media else []))
)

MCP_PREFIX = mcp_server.PATH + "/"


async def application(scope, receive, send) -> None:
    if scope["type"] == "lifespan" or (
        scope["type"] == "http" and (scope["path"] == mcp_server.PATH or scope["path"].startswith(MCP_PREFIX))
    ):
        await _mcp(scope, receive, send)
    elif scope["type"] == "http" and scope["path"].startswith(FILE_PREFIXES):
        await _files(scope, receive, send)
    else:
        await _pages(scope, receive, send)
