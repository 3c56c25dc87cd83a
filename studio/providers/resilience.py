"""Retries, circuit breakers and the job's deadline around every provider call.

The composition is the retry loop inside the breaker, with two
changes that running it in production showed were needed (issue 11):

- One call counts once. The breaker wraps the whole retry loop of one call, not each attempt:
  the retries of one request are one correlated failure (the same request, the same minute), and
  counting them one by one let a single job open the breaker for every user. The breaker opens
  after `fail_max` consecutive *calls* that failed every attempt. A call still stops retrying as
  soon as another process opened the breaker.
- The breaker recovers by itself. pybreaker leaves "open" only inside a call, and an open breaker
  refused every call, so nothing ever closed it; its half-open state also lets every process
  through at once. Here, once the reset timeout has passed, ONE caller
  across all processes claims the trial (one Lua script in Redis, one conditional UPDATE in
  SQLite). A submit claims it for its job (`admit`), so the job the user just sent is the trial;
  a call made for no claimed job (a poll, an older queued job, provider_check) claims it for
  itself. The trial's success closes the breaker, its failure opens it for another reset
  timeout; everyone else is refused meanwhile with the seconds until asking again is worth it.

Breaker state is shared by every process. With REDIS_URL it lives in Redis (pybreaker's
CircuitRedisStorage, plus the trial key). Without Redis it lives in a small SQLite file
(BREAKER_STATE_PATH), not in Django's cache: the default locmem cache is private to one process,
so a worker would never see another worker's failures. SQLite serialises writers across
processes on one machine and needs no migration; it does not span machines, so multi-machine
deployments must set REDIS_URL. The two stores are in breaker_stores.py.

A job makes its provider calls inside `job_scope`, which names the job (whose trial it may hold)
and sets its deadline: a retry is made only if it can end before the deadline, so a provider that
stops answering fails the job with a timeout inside the task's own timeout (studio/checks.py).
"""

from __future__ import annotations

import contextlib
import contextvars
import http.client
import logging
import math
import random
import socket
import threading
import time
import urllib.error
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pybreaker
from django.conf import settings

from .base import CircuitOpenError, Family, ProviderError, ProviderTimeoutError, RetryableError
from .breaker_stores import RedisBreakerStorage, SQLiteBreakerStorage

log = logging.getLogger(__name__)
T = TypeVar("T")


# --- The job's scope: its name and its deadline ---------------------------------------------


@dataclass(frozen=True)
class JobScope:
    holder: str  # the job's id: a breaker trial claimed at submit is held under this name
    deadline: float | None  # time.monotonic() by which the job's provider calls must be over


_job_scope: contextvars.ContextVar[JobScope | None] = contextvars.ContextVar(
    "provider_job_scope", default=None
)


@contextlib.contextmanager
def job_scope(holder: str, *, budget_seconds: float | None = None) -> Iterator[JobScope]:
    """Make the provider calls of one job: as `holder` (its breaker trial), within `budget_seconds`."""
    deadline = None if budget_seconds is None else time.monotonic() + budget_seconds
    scope = JobScope(holder=holder, deadline=deadline)
    token = _job_scope.set(scope)
    try:
        yield scope
    finally:
        _job_scope.reset(token)


def time_left() -> float | None:
    """Seconds before the current job's deadline; None outside a job (no deadline)."""
    scope = _job_scope.get()
    if scope is None or scope.deadline is None:
        return None
    return scope.deadline - time.monotonic()


def attempt_timeout(family: Family) -> float:
    """The longest one attempt of a call to this family can take: its HTTP timeout."""
    if family == Family.VEO:
        return float(settings.PROVIDER_VIDEO_TIMEOUT_SECONDS)
    if family == Family.POLLINATIONS:
        return float(settings.PROVIDER_POLLINATIONS_TIMEOUT_SECONDS)
    if family == Family.GEMINI_TEXT:
        return float(settings.PROVIDER_TEXT_TIMEOUT_SECONDS)
    return float(settings.PROVIDER_IMAGE_TIMEOUT_SECONDS)


# --- Retry policy ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5
    initial_delay: float = 1.0
    multiplier: float = 2.0
    max_delay: float = 8.0
    jitter: float = 0.25

    @classmethod
    def from_settings(cls) -> RetryPolicy:
        return cls(
            attempts=settings.PROVIDER_RETRY_ATTEMPTS,
            initial_delay=settings.PROVIDER_RETRY_INITIAL_SECONDS,
            multiplier=settings.PROVIDER_RETRY_MULTIPLIER,
            max_delay=settings.PROVIDER_RETRY_MAX_SECONDS,
            jitter=settings.PROVIDER_RETRY_JITTER_SECONDS,
        )

    def delay(self, retry_number: int) -> float:
        """Seconds to wait before retry `retry_number` (1 = before the second attempt)."""
        base = min(self.initial_delay * self.multiplier ** (retry_number - 1), self.max_delay)
        return base + random.uniform(0, self.jitter)

    def longest_backoff(self) -> float:
        """The most all the waits between attempts can add up to (studio/checks.py)."""
        return sum(
            min(self.initial_delay * self.multiplier ** (n - 1), self.max_delay) + self.jitter
            for n in range(1, self.attempts)
        )


def is_retryable(error: ProviderError) -> bool:
    return isinstance(error, RetryableError) and not isinstance(error, CircuitOpenError)


def retry_call(
    fn: Callable[[], T],
    *,
    retry_if: Callable[[ProviderError], bool] = is_retryable,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] | None = None,
    attempt_seconds: float = 0.0,
) -> T:
    """Call `fn` (which raises only ProviderError for expected failures) under the retry policy.

    Inside a job_scope a retry is made only if it can end (answer, or time out after
    `attempt_seconds`) before the job's deadline; otherwise the last error is raised as it is, so
    a provider that keeps timing out ends the job with ProviderTimeoutError, in time.
    """
    policy = policy or RetryPolicy.from_settings()
    sleep = sleep or time.sleep
    for attempt in range(1, policy.attempts + 1):
        left = time_left()
        if left is not None and left <= 0:
            raise ProviderTimeoutError("The job's time for provider calls ran out before this call")
        try:
            return fn()
        except ProviderError as error:
            if attempt >= policy.attempts or not retry_if(error):
                raise
            delay = policy.delay(attempt)
            left = time_left()
            if left is not None and left < delay + attempt_seconds:
                log.info(
                    "no time for retry %d (%.1fs left of the job's budget): %s", attempt, left, error.message
                )
                raise
            log.info("provider call failed (%s); retry %d in %.2fs", error.message, attempt, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # the loop always returns or raises


def call_guarded(
    fn: Callable[[], T],
    *,
    model_id: str,
    family: Family,
    retry_if: Callable[[ProviderError], bool] = is_retryable,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] | None = None,
) -> T:
    """`retry_call` inside the model's circuit breaker: the whole call, retries and all, counts once."""
    shared = breaker_for(model_id, family)
    scope = _job_scope.get()
    admission = shared.admit(scope.holder if scope else None)
    if not admission.allowed:
        raise _circuit_open(model_id, admission.retry_after)

    def keep_retrying(error: ProviderError) -> bool:
        # The trial owns the half-open breaker; any other call stops once someone opened it.
        return retry_if(error) and (admission.trial is not None or not shared.is_open())

    try:
        return shared.breaker.call(
            retry_call,
            fn,
            retry_if=keep_retrying,
            policy=policy,
            sleep=sleep,
            attempt_seconds=attempt_timeout(family),
        )
    except pybreaker.CircuitBreakerError as e:  # another process opened it since admit()
        raise _circuit_open(model_id, shared.admit_retry_after()) from e
    finally:
        if admission.trial is not None:
            shared.storage.end_trial(admission.trial)


def _circuit_open(model_id: str, retry_after: int) -> CircuitOpenError:
    return CircuitOpenError(
        f"{model_id} is failing repeatedly; calls are paused for {retry_after}s more",
        model=model_id,
        retry_after=retry_after,
    )


# --- Classifying transport failures ---------------------------------------------------------


def _exception_types(module_name: str, *names: str) -> tuple[type[BaseException], ...]:
    try:
        module = __import__(module_name)
    except ImportError:
        return ()
    return tuple(getattr(module, n) for n in names if hasattr(module, n))


# Failures before the request was sent: nothing can have started on the provider's side.
_NOT_SENT = (
    _exception_types("httpx2", "ConnectError", "ConnectTimeout", "PoolTimeout")
    + _exception_types("httpx", "ConnectError", "ConnectTimeout", "PoolTimeout")
    + (ConnectionRefusedError, socket.gaierror)
)
# Failures after (part of) the request may have reached the provider.
_MAYBE_SENT = (
    _exception_types("httpx2", "TransportError")
    + _exception_types("httpx", "TransportError")
    + (TimeoutError, ConnectionError, http.client.HTTPException)
)


def transport_error(exc: BaseException, *, model: str = "") -> RetryableError | None:
    """Map a timeout or connection failure from any HTTP stack we use to a RetryableError."""
    try:
        import requests

        if isinstance(exc, requests.exceptions.ConnectTimeout):
            return RetryableError(f"Could not connect: {exc}", may_have_started=False, model=model)
        if isinstance(exc, requests.exceptions.Timeout):
            return ProviderTimeoutError(f"Timed out: {exc}", model=model)
        if isinstance(exc, requests.exceptions.ConnectionError):
            return RetryableError(f"Connection failed: {exc}", model=model)
    except ImportError:  # pragma: no cover - requests comes with google-auth
        pass
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        # The reason is the socket-level exception; a plain string means a malformed URL.
        return transport_error(exc.reason, model=model) if isinstance(exc.reason, BaseException) else None
    if isinstance(exc, _NOT_SENT):
        return RetryableError(f"Could not connect: {exc}", may_have_started=False, model=model)
    if isinstance(exc, _MAYBE_SENT):
        if isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__:
            return ProviderTimeoutError(f"Timed out: {exc}", model=model)
        return RetryableError(f"Connection failed: {exc}", model=model)
    return None


# --- Circuit breakers -----------------------------------------------------------------------


@dataclass(frozen=True)
class BreakerConfig:
    fail_max: int
    reset_timeout: float


def breaker_config(family: Family) -> BreakerConfig:
    if family == Family.VEO:
        return BreakerConfig(settings.BREAKER_VIDEO_FAIL_MAX, settings.BREAKER_VIDEO_RESET_SECONDS)
    return BreakerConfig(settings.BREAKER_IMAGE_FAIL_MAX, settings.BREAKER_IMAGE_RESET_SECONDS)


@dataclass(frozen=True)
class Admission:
    allowed: bool
    trial: str | None = None  # the holder of the trial this call is; None for an ordinary call
    retry_after: int = 0  # when refused: whole seconds before asking again is worth it


def trial_lease_seconds() -> float:
    """How long a trial claim holds when its holder never reports (its job was lost): a job
    finishes within the task timeout, so no live trial outlasts it."""
    return float(settings.JOB_TASK_TIMEOUT_SECONDS)


def _whole_seconds(seconds: float) -> int:
    return max(1, math.ceil(seconds))


def _not_a_provider_failure(error: BaseException) -> bool:
    """pybreaker's `exclude`. Only a failing provider counts: 429s, 5xx, timeouts, lost
    connections, and the task timeout django-q2 raises into a call that ran too long. A 400 or a
    safety block is the provider answering (pybreaker counts it as a success)."""
    if isinstance(error, RetryableError):
        return False
    from django_q.exceptions import TimeoutException

    return not isinstance(error, TimeoutException)


class SharedBreaker:
    """One model's breaker: pybreaker's state machine on a shared store, plus the trial claim."""

    def __init__(self, name: str, config: BreakerConfig, storage: SQLiteBreakerStorage | RedisBreakerStorage):
        self.name = name
        self.config = config
        self.storage = storage
        self.breaker = pybreaker.CircuitBreaker(
            fail_max=config.fail_max,
            reset_timeout=config.reset_timeout,
            exclude=[_not_a_provider_failure],
            state_storage=storage,
            name=name,
            # The tripping call raises the provider's own error.
            throw_new_error_on_trip=False,
        )

    def is_open(self) -> bool:
        return self.storage.snapshot().state == pybreaker.STATE_OPEN

    def admit(self, holder: str | None, *, lease: float | None = None) -> Admission:
        """May a call (or a submit) by `holder` go ahead now?

        Closed: yes. Open within the reset timeout: no, with the seconds left. After it: the one
        caller that claims the trial goes ahead (a submit claims it for its job, which its
        worker then recognises by the job's id); everyone else waits for the trial's outcome.
        """
        now = time.time()
        snap = self.storage.snapshot()
        if snap.state == pybreaker.STATE_CLOSED:
            return Admission(True)
        if holder is not None and snap.trial_holder == holder and snap.trial_running(now):
            return Admission(True, trial=holder)
        reopens_at = (snap.opened_at or 0.0) + self.config.reset_timeout
        if now < reopens_at:
            return Admission(False, retry_after=_whole_seconds(reopens_at - now))
        if not snap.trial_running(now):
            claimant = holder or f"call-{uuid.uuid4().hex}"
            claimed = self.storage.claim_trial(
                claimant,
                now=now,
                reset_timeout=self.config.reset_timeout,
                lease=lease or trial_lease_seconds(),
            )
            if claimed:
                log.info("breaker %s: %s is the trial call", self.name, claimant)
                return Admission(True, trial=claimant)
        # Another caller's trial is under way; it decides the breaker within one call.
        return Admission(False, retry_after=_whole_seconds(self.config.reset_timeout))

    def admit_retry_after(self) -> int:
        now = time.time()
        snap = self.storage.snapshot()
        return _whole_seconds((snap.opened_at or now) + self.config.reset_timeout - now)

    def state(self) -> tuple[str, int]:
        """(state, consecutive failed calls); "half-open" while a trial is claimed."""
        snap = self.storage.snapshot()
        if snap.state != pybreaker.STATE_CLOSED and snap.trial_running(time.time()):
            return pybreaker.STATE_HALF_OPEN, snap.failures
        return snap.state, snap.failures


_breakers: dict[tuple, SharedBreaker] = {}
_breakers_lock = threading.Lock()
_REDIS_RETRY_AFTER = 30.0  # after Redis was unreachable, use SQLite this long before trying again
_redis_down_until: dict[str, float] = {}


def breaker_for(model_id: str, family: Family) -> SharedBreaker:
    """The shared breaker for one model, built lazily (never at import: Redis may be down).

    One breaker per model, not per operation: V3 upscale and image generation both call
    `imagen-3.0-generate-002:predict`, one endpoint with one per-model quota, so when it fails it
    fails for both, and a working upscale is a fair trial for generation too (README: Resilience).
    """
    config = breaker_config(family)
    namespace = f"{settings.BREAKER_NAMESPACE}:breaker:{model_id}"
    redis_url = getattr(settings, "REDIS_URL", "") or ""
    with _breakers_lock:
        if redis_url and time.monotonic() >= _redis_down_until.get(redis_url, 0.0):
            key = (namespace, f"redis:{redis_url}", config)
            if key not in _breakers:
                storage = _redis_storage(redis_url, namespace)
                if storage is not None:
                    _breakers[key] = SharedBreaker(namespace, config, storage)
            if key in _breakers:
                return _breakers[key]
        path = Path(settings.BREAKER_STATE_PATH)
        key = (namespace, f"sqlite:{path}", config)
        if key not in _breakers:
            _breakers[key] = SharedBreaker(namespace, config, SQLiteBreakerStorage(path, namespace))
        return _breakers[key]


def admit(model_id: str, family: Family, *, holder: str, lease: float | None = None) -> Admission:
    """The submit's question: may a job for this model be accepted now (maybe as the trial)?"""
    return breaker_for(model_id, family).admit(holder, lease=lease)


def end_trial(model_id: str, family: Family, holder: str) -> None:
    """Give up a trial claimed by `admit` whose job was never created."""
    breaker_for(model_id, family).storage.end_trial(holder)


def _redis_storage(redis_url: str, namespace: str) -> RedisBreakerStorage | None:
    import redis

    try:
        client = redis.Redis.from_url(
            redis_url, decode_responses=False, socket_connect_timeout=1.0, socket_timeout=1.0
        )
        return RedisBreakerStorage(client, namespace)
    except redis.RedisError as e:
        # Construction writes initial keys and raises when Redis is down. Keep working on the
        # local storage (shared by this machine's processes) and try Redis again later.
        log.warning("Redis unreachable for breaker state (%s); using %s", e, settings.BREAKER_STATE_PATH)
        _redis_down_until[redis_url] = time.monotonic() + _REDIS_RETRY_AFTER
        return None


def breaker_state(model_id: str, family: Family) -> tuple[str, int]:
    """(state, consecutive failed calls) for provider_check and the health page."""
    return breaker_for(model_id, family).state()
