"""The JSON API under /api/v1/media/ (README "Jobs and the JSON API"), with its OpenAPI document at /docs.

django-ninja, because our validation already is pydantic (studio/schemas.py): ninja takes those
models as request bodies as they are and writes the OpenAPI document from them, so the API, the
docs, the LLM tools and the pages share one definition of every rule. (DRF would need a second,
serializer copy of each schema; plain views would need a hand-written OpenAPI file.)

    errors.py   the refusals: stable codes, the error body, the exception handlers, `route`
    media.py    submit, upload, job status and result, assets
    account.py  quota, health, the LLM tools

Every answer is JSON and typed in the document: each 2xx by its model (studio/answers.py and
account.py), each error by ErrorResponse with the stable codes of studio/errors.py; another
user's ids answer 404.
"""

from __future__ import annotations

from ninja import NinjaAPI

from studio.api import account, errors, media
from studio.api.errors import API_ERRORS, TOOL_ERRORS
from studio.auth import ApiTokenAuth, SessionCsrfAuth

__all__ = ["API_ERRORS", "TOOL_ERRORS", "api"]

api = NinjaAPI(
    title="Media Studio API",
    version="1.0.0",
    description=(
        "Create and edit images and videos with Google's models within your plan's allowance. "
        "Authenticate with your session (and its CSRF token) or `Authorization: Bearer <token>` "
        "(`manage.py create_api_token USERNAME`). Every POST accepts an `Idempotency-Key` header "
        "(a UUID v4): a retry with the same key replays the first answer. Errors are "
        '`{"error": {"code": "...", "message": "..."}}`.'
    ),
    auth=[ApiTokenAuth(), SessionCsrfAuth()],
    urls_namespace="api-1.0.0",
)
errors.install(api)
api.add_router("", media.router)
api.add_router("", account.router)
