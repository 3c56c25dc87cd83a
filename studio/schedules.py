"""The cluster's recurring tasks, kept in the database by django-q2's scheduler.

Created or updated after every `migrate`, so a deploy brings them in line with the code.
django-q2's scheduler looks at them about every 30 seconds.
"""

from __future__ import annotations

# name: (function, minutes between runs)
SCHEDULES = {
    "studio: sweep jobs": ("studio.tasks.sweep", 1),
    "studio: poll videos": ("studio.tasks.poll_videos", 1),
    "studio: purge idempotency keys": ("studio.tasks.purge_idempotency_records", 60),
    # Plan changes at a paid period's end; plan_for makes them at request time too (README, "Plans").
    "billing: scheduled plan changes": ("billing.tasks.apply_due_changes", 15),
}


def ensure_schedules(**kwargs) -> None:
    """Create or update the cluster's schedules (run after every migrate)."""
    from django_q.models import Schedule

    for name, (func, minutes) in SCHEDULES.items():
        Schedule.objects.update_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1},
        )
