"""Views that exist only to be measured (scripts/load_api.py), never served in production.

studio/urls.py routes them only when DEBUG is on or BENCH_VIEWS=true is in the environment.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse


def bare(request: HttpRequest) -> JsonResponse:
    """The floor: the full middleware stack and a JSON answer, no database, no cache, no auth.
    The API's latency minus this one is what our own code costs."""
    return JsonResponse({"ok": True})
