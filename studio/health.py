"""The /health report: can this deployment serve, and what is degraded.

`serving` is False (HTTP 503) only when a request could not be handled at all: the database or
the broker is down. A stale worker heartbeat, an open circuit breaker, a retired model, a missing
provider key or an unreachable bucket make the report "degraded" (still 200): the web app works,
jobs would wait or fail cleanly, and the report says which. Nothing here prints a secret: URLs
lose their passwords.

The endpoint is public (load balancers and uptime checks call it without credentials), so anyone
gets only the verdict: status, serving, and each check's ok. The details (model ids, breaker
states, retirement warnings that name the setting to change, a missing provider key, queue depth,
storage class) are for staff: `report(full=True)`.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone

from studio import providers
from studio.models import WorkerLease

log = logging.getLogger(__name__)

HEARTBEAT_STALE_AFTER = timedelta(minutes=3)  # the sweeper beats every minute


def report(*, full: bool = False) -> dict:
    """The health report; without `full`, only what anyone may see (see the module docstring)."""
    checks = {
        "database": _timed(_database),
        "broker": _timed(_broker),
        "cluster": _timed(_cluster),
        "storage": _timed(_storage),
    }
    breakers = [
        {"model": model, "state": state, "failures": failures}
        for model, state, failures in _safe(providers.breaker_states, [])
    ]
    models = [
        {
            "operation": row.operation,
            "model": row.model,
            "family": row.family,
            "lifecycle": row.lifecycle,
            "retirement_date": None if row.retirement_date == "-" else row.retirement_date,
        }
        for row in _safe(providers.catalog_rows, [])
    ]
    warnings = _safe(providers.lifecycle_warnings, [])
    # Settings that fail every call of an operation (a missing Pollinations key): staff must see them.
    configuration_warnings = _safe(providers.configuration_warnings, [])
    serving = checks["database"]["ok"] and checks["broker"]["ok"]
    degraded = (
        not all(check["ok"] for check in checks.values())
        or any(b["state"] != "closed" for b in breakers)
        or bool(warnings)
        or bool(configuration_warnings)
    )
    status = "unavailable" if not serving else ("degraded" if degraded else "ok")
    if not full:
        return {
            "status": status,
            "serving": serving,
            "checks": {name: {"ok": check["ok"]} for name, check in checks.items()},
            "time": timezone.now().isoformat(),
        }
    return {
        "status": status,
        "serving": serving,
        "checks": checks,
        "breakers": breakers,
        "models": models,
        "model_warnings": warnings,
        "configuration_warnings": configuration_warnings,
        "time": timezone.now().isoformat(),
    }


def _timed(check) -> dict:
    started = time.perf_counter()
    try:
        detail = check()
        ok = True
    except Exception as e:  # a health check reports failures; it never raises them
        ok, detail = False, _describe(e)
    if isinstance(detail, tuple):
        ok, detail = detail
    return {"ok": ok, "detail": detail, "ms": round((time.perf_counter() - started) * 1000, 1)}


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _broker() -> str:
    from django_q.brokers import get_broker

    broker = get_broker()
    if not broker.ping():
        raise RuntimeError("the broker did not answer")
    kind = "redis" if settings.Q_CLUSTER.get("redis") else "orm"
    return f"{kind}, {broker.queue_size()} queued"


def _cluster() -> tuple[bool, str]:
    beat = WorkerLease.objects.filter(name="heartbeat").values_list("updated_at", flat=True).first()
    if beat is None:
        return False, "no worker has reported yet (is qcluster running?)"
    age = timezone.now() - beat
    seconds = int(age.total_seconds())
    if age > HEARTBEAT_STALE_AFTER:
        return False, f"last worker heartbeat {seconds} s ago (is qcluster running?)"
    return True, f"last worker heartbeat {seconds} s ago"


def _storage() -> str:
    default_storage.exists("health-check")
    return type(default_storage).__name__


def _safe(fn, fallback):
    try:
        return fn()
    except Exception as e:
        log.warning("health: %s failed: %s", getattr(fn, "__name__", fn), e)
        return fallback


def _describe(error: Exception) -> str:
    # The exception's class and first line only: driver messages can include connection URLs.
    text = str(error).splitlines()[0] if str(error) else ""
    for secret_bearing in ("@", "password", "token", "key="):
        if secret_bearing in text.lower():
            text = "(details hidden)"
            break
    return f"{type(error).__name__}: {text}"[:200]
