"""Idempotency-Key handling for every POST, durable in the database (shared by every web process).

    status, body, replayed = run_once(request.user, key_header, fingerprint, ttl, handler)

- No key: the handler simply runs (the pages send one per form; API clients should).
- First use: the key is claimed (an INSERT … ON CONFLICT that the unique constraint makes
  exclusive) as the first statement of the transaction that does the work and stores its answer,
  so "work done but answer not recorded" cannot happen, and a crash leaves no claim behind.
- Same key, same request, finished: the first answer is replayed byte for byte.
- Same key, same request, still running: the duplicate's claim waits in the database for the
  first transaction (it usually takes milliseconds) and replays its answer. (A claim committed in
  progress by an older release is waited for up to IDEMPOTENCY_WAIT_SECONDS, then 409.)
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
from django.db import transaction
from django.http import JsonResponse
from django.utils import timezone

from mediastudio import sql
from mediastudio.sql import insert_or_nothing
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


class _NotStored(Exception):
    """A refusal answered without an exception (the tools' 200 ok=false): roll the claim back."""

    def __init__(self, status: int, body: dict):
        self.status, self.body = status, body


def run_once(
    user, key: uuid.UUID | None, request_fingerprint: str, ttl_minutes: int, handler: Handler
) -> tuple[int, dict, bool]:
    """(status, body, replayed): the handler's answer, or the stored answer of the first request.

    The claim is the transaction's first statement (INSERT … ON CONFLICT DO NOTHING), the work
    and the stored answer follow in the same transaction. A concurrent duplicate's INSERT waits
    for the first transaction on the unique index (PostgreSQL; SQLite's write lock serialises
    them anyway) and then either finds the answer to replay or, if the first rolled back, claims
    the key itself. A record still in progress after commit exists only if written by an older
    release; it is waited for up to IDEMPOTENCY_WAIT_SECONDS, or taken over once its lease ends.
    """
    if key is None:
        return (*handler(), False)
    for _ in range(3):  # a vanished, expired or abandoned claim is retried from the top
        try:
            with transaction.atomic():
                if _claim(user, key, request_fingerprint, ttl_minutes):
                    status, body = handler()
                    if status not in ACCEPTED_STATUSES:
                        raise _NotStored(status, body)
                    sql.update_where(
                        IdempotencyRecord,
                        {
                            "state": IdempotencyRecord.State.COMPLETED,
                            "response_status": status,
                            "response_body": json.dumps(body, cls=DjangoJSONEncoder),
                        },
                        where={"user": user, "key": key},
                    )
                    return status, body, False
        except _NotStored as refusal:
            return refusal.status, refusal.body, False
        replay = _existing(user, key, request_fingerprint)
        if replay is not None:
            return (*replay, True)
    raise _conflict()


def _claim(user, key, request_fingerprint, ttl_minutes) -> bool:
    """Claim the key inside the current transaction; False when another request holds it."""
    now = timezone.now()
    values = {
        "user": user.pk,
        "key": key,
        "fingerprint": request_fingerprint,
        "locked_until": now + timedelta(seconds=CLAIM_LEASE_SECONDS),
        "created_at": now,
        "expires_at": now + timedelta(minutes=ttl_minutes),
    }
    return insert_or_nothing(IdempotencyRecord, values, conflict=("user", "key")) is not None


def _existing(user, key, request_fingerprint):
    """The (status, body) to replay, or None to claim again (the key is free, expired or
    abandoned); raises 422 for another request's key and 409 while it is still in progress."""
    deadline = time.monotonic() + settings.IDEMPOTENCY_WAIT_SECONDS
    while True:
        existing = IdempotencyRecord.objects.filter(user=user, key=key).first()
        now = timezone.now()
        if existing is None:
            return None  # the first request failed and dropped its claim: ours now
        if existing.expires_at < now:
            IdempotencyRecord.objects.filter(pk=existing.pk, expires_at__lt=now).delete()
            return None
        if existing.fingerprint != request_fingerprint:
            raise StudioError(
                "idempotency_mismatch",
                "This Idempotency-Key was already used for a different request. Use a new key.",
                status=422,
            )
        if existing.state == IdempotencyRecord.State.COMPLETED:
            return existing.response_status, json.loads(existing.response_body)
        if existing.locked_until < now:
            # Its process died mid-way (an older release committed claims first): take over.
            IdempotencyRecord.objects.filter(
                pk=existing.pk, state=IdempotencyRecord.State.IN_PROGRESS, locked_until=existing.locked_until
            ).delete()
            return None
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
