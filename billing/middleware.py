"""One plan lookup per request: plan_for remembers each user's plan for the request's life.

Without it a page or a submit asked the database for the same plan three times or more (the
tier gate, the quote, the allowance, the page's context). Sync and async (Django's documented
pattern), so the media files that Django's ASGI handler streams (mediastudio/asgi.py) are not
adapted to a thread for it.
"""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction
from django.utils.decorators import sync_and_async_middleware

from billing import services


@sync_and_async_middleware
def plan_per_request(get_response):
    if iscoroutinefunction(get_response):

        async def async_middleware(request):
            with services.plans_remembered():
                return await get_response(request)

        return async_middleware

    def middleware(request):
        with services.plans_remembered():
            return get_response(request)

    return middleware
