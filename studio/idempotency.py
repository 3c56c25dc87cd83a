"""Idempotency-Key handling for every POST, durable in the database (shared by every web process).

    status, body, replayed = run_once(request.user, key_header, fingerprint, ttl, handler)

- No key: the handler simply runs (the pages send one per form; API clients should).
- First use: the key is claimed (an INSERT that the unique constraint makes exclusive), then the
  handler runs and its answer is stored in the same transaction as the work, so "work done but
  answer not recorded" cannot happen.
- Same key, same request, finished: the first answer is replayed byte for byte.
- Same key, same request, still running: we wait a moment for the first to finish (it usually
  takes milliseconds) and replay; if it is still running after IDEMPOTENCY_WAIT_SECONDS, 409.
- Same key, different request: 422.
- Only accepted work is stored (201 Created, 202 Accepted). Refusals are not, whether a 4xx of
  the REST endpoints or the 200 ok=false of /tools/call, and neither are crashes: the claim is
  dropped, so the client may fix the request (or wait for a grant) and retry with the same key,
  as Stripe does.
Keys live 1 h for image requests and 2 h for video; a schedule purges expired ones.

The API's POST endpoints take all of this from one decorator, `@idempotent` (below); the pages
call run_once with the key their form carries (studio/pages/common.py).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.utils import timezone

from studio.errors import StudioError
from studio.models import IdempotencyRecord

CLAIM_LEASE_SECONDS = 60
# The answers that mean work was accepted, the only ones replayed. A refusal is not work: the
# LLM tools answer it 200 (ok=false) for the model to relay, so "any 2xx" would replay refusals.
ACCEPTED_STATUSES = frozenset({201, 202})
WAIT_STEP_SECONDS = 0.05

Handler = Callable[[], tuple[int, dict]]


def parse_key(header: str | None) -> uuid.UUID | None:
    """The Idempotency-Key header as a UUID v4, or None when absent.

    Accepts the RFC 8941 quoted form the IETF draft uses ("…") as well as the bare UUID.
    """
    if header is None or not header.strip():
        return None
    value = header.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1]
    try:
        key = uuid.UUID(value)
    except ValueError:
        key = None
    if key is None or key.version != 4:
        raise StudioError("invalid_idempotency_key", "Idempotency-Key must be a UUID version 4.", status=400)
    return key


def fingerprint(method: str, path: str, payload) -> str:
    """sha256 of the method, the path and the canonical JSON of the (validated) request."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{method}\n{path}\n{canonical}".encode()).hexdigest()


def run_once(
    user, key: uuid.UUID | None, request_fingerprint: str, ttl_minutes: int, handler: Handler
) -> tuple[int, dict, bool]:
    """(status, body, replayed): the handler's answer, or the stored answer of the first request."""
    if key is None:
        return (*handler(), False)
    record = None
    for _ in range(3):  # a vanished or expired claim is retried from the top
        record, replay = _claim(user, key, request_fingerprint, ttl_minutes)
        if replay is not None:
            return (*replay, True)
        if record is not None:
            break
    if record is None:
        raise _conflict()
    try:
        with transaction.atomic():
            status, body = handler()
            if status in ACCEPTED_STATUSES:
                IdempotencyRecord.objects.filter(pk=record.pk).update(
                    state=IdempotencyRecord.State.COMPLETED,
                    response_status=status,
                    response_body=json.dumps(body, cls=DjangoJSONEncoder),
                )
                return status, body, False
    except BaseException:
        IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.IN_PROGRESS).delete()
        raise
    IdempotencyRecord.objects.filter(pk=record.pk, state=IdempotencyRecord.State.IN_PROGRESS).delete()
    return status, body, False


def _claim(user, key, request_fingerprint, ttl_minutes):
    """(our claimed record, None) or (None, (status, body) to replay) or (None, None): try again."""
    now = timezone.now()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                user=user,
                key=key,
                fingerprint=request_fingerprint,
                locked_until=now + timedelta(seconds=CLAIM_LEASE_SECONDS),
                created_at=now,
                expires_at=now + timedelta(minutes=ttl_minutes),
            )
        return record, None
    except IntegrityError:
        pass
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while True:
        existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
        now = timezone.now()
        if existing is None:
            return None, None  # the first request failed and dropped its claim: ours now
        if existing.expires_at < now:
            IdempotencyRecord.objects.filter(pk=existing.pk, expires_at__lt=now).delete()
            return None, None
        if existing.fingerprint != request_fingerprint:
            raise StudioError(
                "idempotency_mismatch",
                "This Idempotency-Key was already used for a different request. Use a new key.",
                status=422,
            )
        if existing.state == IdempotencyRecord.State.COMPLETED:
            return None, (existing.response_status, json.loads(existing.response_body))
        if existing.locked_until < now:
            # The first request's process died mid-way (its work rolled back): take over.
            took = IdempotencyRecord.objects.filter(
                pk=existing.pk,
                state=IdempotencyRecord.State.IN_PROGRESS,
                locked_until=existing.locked_until,
            ).update(locked_until=now + timedelta(seconds=CLAIM_LEASE_SECONDS))
            if took:
                existing.refresh_from_db()
                return existing, None
        if time.monotonic() >= deadline:
            raise _conflict()
        time.sleep(WAIT_STEP_SECONDS)


def _conflict() -> StudioError:
    return StudioError(
        "idempotency_conflict",
        "A request with this Idempotency-Key is still being processed. Retry in a moment.",
        status=409,
        retry_after=1,
    )


def ttl_minutes_for(operation: str) -> int:
    """How long a key lives: the operation's own lifetime (studio/operations/), or the image
    one for the requests that are not operations (an upload, an unknown tool)."""
    from studio import operations  # the operations' modules import the models, as this one does

    if operation in operations.names():
        return operations.get(operation).idempotency_ttl_minutes()
    return settings.IDEMPOTENCY_IMAGE_TTL_MINUTES


def purge_expired() -> int:
    """Delete the records whose keys have expired (a schedule runs this); returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


def idempotent(
    *, identity: Callable[..., object], lifetime_minutes: Callable[..., int], location: bool = False
):
    """An API endpoint that accepts work, made safe to retry under its `Idempotency-Key` header.

    The endpoint returns (status, body); the decorator answers it as JSON, or replays the first
    answer to the same key (`Idempotent-Replayed: true`). `identity(request, **params)` gives
    what makes two requests the same (the validated payload, an upload's digest): it runs first,
    so its own refusals come before the key is read. `lifetime_minutes(**params)` is how long
    the key is kept. With `location`, a 2xx body's `status_url` is also the Location header.
    """

    def decorate(endpoint: Callable[..., tuple[int, dict]]):
        @functools.wraps(endpoint)
        def wrapper(request, **params) -> JsonResponse:
            request_fingerprint = fingerprint(request.method, request.path, identity(request, **params))
            key = parse_key(request.headers.get("Idempotency-Key"))
            status, body, replayed = run_once(
                request.user,
                key,
                request_fingerprint,
                lifetime_minutes(**params),
                lambda: endpoint(request, **params),
            )
            response = JsonResponse(body, status=status)
            if location:
                response["Location"] = body.get("status_url", "")
            if replayed:
                response["Idempotent-Replayed"] = "true"
            return response

        # ninja reads the parameters' types from the signature, resolving string annotations in
        # the function's own module: give it the endpoint's, already resolved, not ours.
        wrapper.__signature__ = inspect.signature(endpoint, eval_str=True)  # type: ignore[attr-defined]
        return wrapper

    return decorate
