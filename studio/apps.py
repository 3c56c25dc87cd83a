from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = "Media Studio"

    def ready(self) -> None:
        from studio import checks  # noqa: F401  (registers the start-up checks)
        from studio.schedules import ensure_schedules

        # After every migrate: the cluster's schedules exist and match the code.
        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="studio-schedules")
