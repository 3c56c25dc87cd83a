"""django-q2 entry points. Thin on purpose: each loads by primary key and calls the worker.

Tasks are called by dotted path with ids, never model instances (payloads are pickled and may
be delivered twice; studio/worker.py makes a second delivery harmless). The dotted paths are
stored in queued tasks and schedules, so they keep their names when the code behind them moves.
"""

from __future__ import annotations

from studio import idempotency, samples, worker


def run_job(job_id: str) -> None:
    worker.run_job(job_id)


def poll_videos() -> int:
    return worker.poll_videos()


def sweep() -> dict:
    return worker.sweep()


def purge_idempotency_records() -> int:
    return idempotency.purge_expired()


def render_samples() -> int:
    return samples.render_missing()
