"""Retries and circuit breakers around every provider call.

The composition follows reliability-notes.md §2.4: the retry loop is outside, the breaker inside
each attempt, and an open breaker ends the loop at once (nothing is sent).

Breaker state is shared by every process. With REDIS_URL it lives in Redis (pybreaker's
CircuitRedisStorage). Without Redis it lives in a small SQLite file (BREAKER_STATE_PATH), not in
Django's cache: the default locmem cache is private to one process, so a worker would never see
another worker's failures. SQLite serialises writers across processes on one machine and needs no
migration; it does not span machines, so multi-machine deployments must set REDIS_URL.
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import random
import socket
import sqlite3
import threading
import time
import urllib.error
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import pybreaker
from django.conf import settings

from .base import CircuitOpenError, Family, ProviderError, RetryableError

log = logging.getLogger(__name__)
T = TypeVar("T")


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


def is_retryable(error: ProviderError) -> bool:
    return isinstance(error, RetryableError) and not isinstance(error, CircuitOpenError)


def retry_call(
    fn: Callable[[], T],
    *,
    retry_if: Callable[[ProviderError], bool] = is_retryable,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] | None = None,
) -> T:
    """Call `fn` (which raises only ProviderError for expected failures) under the retry policy."""
    policy = policy or RetryPolicy.from_settings()
    sleep = sleep or time.sleep
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except ProviderError as error:
            if attempt >= policy.attempts or not retry_if(error):
                raise
            delay = policy.delay(attempt)
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
    """`retry_call` with the model's circuit breaker around each attempt."""
    breaker = breaker_for(model_id, family)

    def attempt() -> T:
        try:
            return breaker.call(fn)
        except pybreaker.CircuitBreakerError as e:
            raise CircuitOpenError(
                f"{model_id} is failing repeatedly; calls are paused for up to {breaker.reset_timeout:g}s",
                model=model_id,
            ) from e

    return retry_call(attempt, retry_if=retry_if, policy=policy, sleep=sleep)


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
        if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
            return RetryableError(f"Connection failed: {exc}", model=model)
    except ImportError:  # pragma: no cover - requests comes with google-auth
        pass
    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        # The reason is the socket-level exception; a plain string means a malformed URL.
        return transport_error(exc.reason, model=model) if isinstance(exc.reason, BaseException) else None
    if isinstance(exc, _NOT_SENT):
        return RetryableError(f"Could not connect: {exc}", may_have_started=False, model=model)
    if isinstance(exc, _MAYBE_SENT):
        timed_out = isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__
        return RetryableError(f"{'Timed out' if timed_out else 'Connection failed'}: {exc}", model=model)
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


_breakers: dict[tuple, pybreaker.CircuitBreaker] = {}
_breakers_lock = threading.Lock()
_REDIS_RETRY_AFTER = 30.0  # after Redis was unreachable, use SQLite this long before trying again
_redis_down_until: dict[str, float] = {}


def breaker_for(model_id: str, family: Family) -> pybreaker.CircuitBreaker:
    """The shared breaker for one model, built lazily (never at import: Redis may be down)."""
    config = breaker_config(family)
    namespace = f"{settings.BREAKER_NAMESPACE}:breaker:{model_id}"
    redis_url = getattr(settings, "REDIS_URL", "") or ""
    with _breakers_lock:
        if redis_url and time.monotonic() >= _redis_down_until.get(redis_url, 0.0):
            key = (namespace, f"redis:{redis_url}", config)
            if key not in _breakers:
                storage = _redis_storage(redis_url, namespace)
                if storage is not None:
                    _breakers[key] = _new_breaker(namespace, config, storage)
            if key in _breakers:
                return _breakers[key]
        path = Path(settings.BREAKER_STATE_PATH)
        key = (namespace, f"sqlite:{path}", config)
        if key not in _breakers:
            _breakers[key] = _new_breaker(namespace, config, SQLiteBreakerStorage(path, namespace))
        return _breakers[key]


def _new_breaker(
    name: str, config: BreakerConfig, storage: pybreaker.CircuitBreakerStorage
) -> pybreaker.CircuitBreaker:
    return pybreaker.CircuitBreaker(
        fail_max=config.fail_max,
        reset_timeout=config.reset_timeout,
        # Only failures of the provider count: a 400 or a safety block says nothing about its
        # health. (pybreaker counts an excluded error as a success.)
        exclude=[lambda e: not isinstance(e, RetryableError)],
        state_storage=storage,
        name=name,
        # The tripping call raises the provider's own error; later calls get
        # CircuitBreakerError, which call_guarded turns into CircuitOpenError.
        throw_new_error_on_trip=False,
    )


def _redis_storage(redis_url: str, namespace: str) -> pybreaker.CircuitBreakerStorage | None:
    import redis

    try:
        client = redis.Redis.from_url(
            redis_url, decode_responses=False, socket_connect_timeout=1.0, socket_timeout=1.0
        )
        return pybreaker.CircuitRedisStorage(pybreaker.STATE_CLOSED, client, namespace=namespace)
    except redis.RedisError as e:
        # Construction writes initial keys and raises when Redis is down. Keep working on the
        # local storage (shared by this machine's processes) and try Redis again later.
        log.warning("Redis unreachable for breaker state (%s); using %s", e, settings.BREAKER_STATE_PATH)
        _redis_down_until[redis_url] = time.monotonic() + _REDIS_RETRY_AFTER
        return None


def breaker_state(model_id: str, family: Family) -> tuple[str, int]:
    """(state, consecutive failures) for provider_check and the health page."""
    breaker = breaker_for(model_id, family)
    return breaker.current_state, breaker.fail_counter


class SQLiteBreakerStorage(pybreaker.CircuitBreakerStorage):
    """pybreaker state in a SQLite file that every process on this machine opens.

    Each read or write is one short statement in its own connection, so processes never hold
    locks between calls. Like CircuitRedisStorage, it fails open: if the file cannot be used, the
    breaker reads as closed with no failures and calls go through.
    """

    _SCHEMA = """
        CREATE TABLE IF NOT EXISTS breaker (
            name TEXT PRIMARY KEY,
            state TEXT NOT NULL DEFAULT 'closed',
            fail_counter INTEGER NOT NULL DEFAULT 0,
            success_counter INTEGER NOT NULL DEFAULT 0,
            opened_at REAL
        )"""

    def __init__(self, path: Path, name: str) -> None:
        super().__init__(name)
        self._path = path
        self._row = name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._connect()
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(self._SCHEMA)
                conn.execute("INSERT OR IGNORE INTO breaker (name) VALUES (?)", (name,))
            finally:
                conn.close()
        except sqlite3.Error:
            log.exception("breaker storage %s unusable; the breaker fails open", path)

    def _connect(self) -> sqlite3.Connection:
        return sqlite3.connect(self._path, timeout=5.0, isolation_level=None)

    def _read(self, column: str, default):
        try:
            conn = self._connect()
            try:
                sql = f"SELECT {column} FROM breaker WHERE name = ?"
                row = conn.execute(sql, (self._row,)).fetchone()
            finally:
                conn.close()
        except sqlite3.Error:
            log.exception("breaker storage read failed")
            return default
        return default if row is None or row[0] is None else row[0]

    def _write(self, assignment: str, *params) -> None:
        try:
            conn = self._connect()
            try:
                conn.execute("INSERT OR IGNORE INTO breaker (name) VALUES (?)", (self._row,))
                conn.execute(f"UPDATE breaker SET {assignment} WHERE name = ?", (*params, self._row))
            finally:
                conn.close()
        except sqlite3.Error:
            log.exception("breaker storage write failed")

    @property
    def state(self) -> str:
        return str(self._read("state", pybreaker.STATE_CLOSED))

    @state.setter
    def state(self, state: str) -> None:
        self._write("state = ?", str(state))

    def increment_counter(self) -> None:
        self._write("fail_counter = fail_counter + 1")

    def reset_counter(self) -> None:
        self._write("fail_counter = 0")

    def increment_success_counter(self) -> None:
        self._write("success_counter = success_counter + 1")

    def reset_success_counter(self) -> None:
        self._write("success_counter = 0")

    @property
    def counter(self) -> int:
        return int(self._read("fail_counter", 0))

    @property
    def success_counter(self) -> int:
        return int(self._read("success_counter", 0))

    @property
    def opened_at(self) -> dt.datetime | None:
        value = self._read("opened_at", None)
        return None if value is None else dt.datetime.fromtimestamp(float(value), tz=dt.UTC)

    @opened_at.setter
    def opened_at(self, when: dt.datetime) -> None:
        self._write("opened_at = ?", when.timestamp())
