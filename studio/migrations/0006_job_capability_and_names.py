"""MediaJob: provider_operation → capability (which provider capability serves the job),
provider_operation_name → provider_job_name (Veo's long-running operation), and the
operation's choices come from the registry (studio/operations/), so an operation added
there needs no migration."""

from django.db import migrations, models

import studio.models


class Migration(migrations.Migration):
    dependencies = [("studio", "0005_asset_sha256")]

    operations = [
        migrations.RenameField("mediajob", "provider_operation", "capability"),
        migrations.RenameField("mediajob", "provider_operation_name", "provider_job_name"),
        migrations.AlterField(
            model_name="mediajob",
            name="capability",
            field=models.CharField(help_text="The provider capability that serves the job", max_length=24),
        ),
        migrations.AlterField(
            model_name="mediajob",
            name="operation",
            field=models.CharField(choices=studio.models._operation_choices, max_length=24),
        ),
    ]
