"""MediaJob.announced_at, for the jobs tray's "your image is ready" toasts.

Jobs that had finished before this field existed count as announced: otherwise every user's
recent results would all toast at once on their first page after the deploy. Only the last
day's jobs can toast (studio/pages/tray.py), so only those are touched.
"""

from datetime import timedelta

from django.db import migrations, models
from django.db.models.functions import Coalesce
from django.utils import timezone


def mark_finished_jobs_announced(apps, schema_editor):
    MediaJob = apps.get_model("studio", "MediaJob")
    now = timezone.now()
    MediaJob.objects.filter(
        state__in=("succeeded", "failed", "cancelled"), created_at__gte=now - timedelta(days=2)
    ).update(announced_at=Coalesce("finished_at", models.Value(now)))


class Migration(migrations.Migration):
    dependencies = [
        ("studio", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="mediajob",
            name="announced_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the user was told it finished (a toast, or its progress view)",
                null=True,
            ),
        ),
        migrations.RunPython(mark_finished_jobs_announced, migrations.RunPython.noop),
    ]
