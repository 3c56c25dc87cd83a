"""django-q2 entry points. Thin on purpose: each loads by primary key and calls services.

Tasks are called by dotted path with ids, never model instances (payloads are pickled and may
be delivered twice; services make a second delivery harmless).
"""

from __future__ import annotations

from studio import samples, services


def run_job(job_id: str) -> None:
    services.run_job(job_id)


def poll_videos() -> int:
    return services.poll_videos()


def sweep() -> dict:
    return services.sweep()


def purge_idempotency_records() -> int:
    return services.purge_idempotency_records()


def render_samples() -> int:
    return samples.render_missing()
