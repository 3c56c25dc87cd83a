"""MediaJob.seed_applied: whether the model honoured the job's seed (Imagen drops a seed while
SynthID is on; Veo's prompt enhancement makes one meaningless), so the viewer never shows a seed
that was not applied. Old jobs stay unknown (null) and show none."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("studio", "0006_job_capability_and_names")]

    operations = [
        migrations.AddField(
            model_name="mediajob",
            name="seed_applied",
            field=models.BooleanField(
                blank=True,
                null=True,
                help_text="True when the model honoured the job's seed; the viewer shows a seed only then",
            ),
        ),
    ]
