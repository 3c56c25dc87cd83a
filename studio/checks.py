"""Start-up checks (`manage.py check`, runserver, qcluster): time limits that fit inside each other.

    one provider attempt  <  JOB_PROVIDER_BUDGET_SECONDS  <  task timeout  <  JOB_LEASE_SECONDS
                                                              task timeout  <  django-q2 retry

The seed's numbers did not fit (issue 11): 120 s per image attempt × 5 attempts plus backoff is
615 s against a 300 s task timeout, so django-q2 killed slow jobs mid-retry and the sweeper
reported them 6 minutes later as `worker_lost`. We bound a job with a deadline rather than with
`timeout × attempts + backoff < task timeout`: a Gemini job makes one call per image and the
upscale one per request, so no per-call formula bounds a job, and meeting it with the seed's
policy would need a 55 s timeout that slow 4K renders exceed. What must hold at start-up is that
one attempt fits in the budget (else no call could ever finish) and that the limits nest.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, register


@register()
def time_limits_fit(app_configs=None, **kwargs) -> list[Error]:
    budget = settings.JOB_PROVIDER_BUDGET_SECONDS
    task_timeout = settings.Q_CLUSTER.get("timeout")
    lease = settings.JOB_LEASE_SECONDS
    errors: list[Error] = []
    for name in (
        "PROVIDER_IMAGE_TIMEOUT_SECONDS",
        "PROVIDER_VIDEO_TIMEOUT_SECONDS",
        "PROVIDER_POLLINATIONS_TIMEOUT_SECONDS",
        "PROVIDER_GCS_TIMEOUT_SECONDS",
    ):
        if getattr(settings, name) >= budget:
            errors.append(
                Error(
                    f"{name} ({getattr(settings, name)} s) must be below JOB_PROVIDER_BUDGET_SECONDS "
                    f"({budget} s): not even one attempt of a call would fit in a job.",
                    id="studio.E001",
                )
            )
    if not task_timeout or budget >= task_timeout:
        errors.append(
            Error(
                f"JOB_PROVIDER_BUDGET_SECONDS ({budget} s) must be below the task timeout "
                f"(JOB_TASK_TIMEOUT_SECONDS, {task_timeout} s), leaving time to store the outputs.",
                id="studio.E002",
            )
        )
    if not task_timeout or task_timeout >= lease:
        errors.append(
            Error(
                f"JOB_LEASE_SECONDS ({lease} s) must be above the task timeout ({task_timeout} s): "
                "the sweeper would fail jobs whose worker is still at work.",
                id="studio.E003",
            )
        )
    workers = settings.Q_CLUSTER.get("workers") or 1
    queue_limit = settings.Q_CLUSTER.get("queue_limit") or workers * workers
    retry = settings.Q_CLUSTER.get("retry") or 0
    longest_held = (task_timeout or 0) * (queue_limit / workers + 1)
    if settings.Q_CLUSTER.get("orm") and retry <= longest_held:
        errors.append(
            Error(
                f"Q_RETRY_SECONDS ({retry} s) must be above the task timeout × (prefetched/workers + 1) "
                f"({longest_held:g} s): the ORM broker would deliver a running task a second time.",
                id="studio.E004",
            )
        )
    poller_need = settings.VIDEO_POLLER_BUDGET_SECONDS + settings.PROVIDER_VIDEO_TIMEOUT_SECONDS
    if task_timeout and poller_need >= task_timeout:
        errors.append(
            Error(
                f"VIDEO_POLLER_BUDGET_SECONDS + PROVIDER_VIDEO_TIMEOUT_SECONDS ({poller_need:g} s) must be "
                f"below the task timeout ({task_timeout} s): the poller task would be stopped mid-poll.",
                id="studio.E005",
            )
        )
    return errors
