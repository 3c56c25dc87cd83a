from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate, post_save


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = "Media Studio"

    def ready(self) -> None:
        from studio import checks  # noqa: F401  (registers the start-up checks)
        from studio.schedules import ensure_schedules

        # After every migrate: the cluster's schedules exist and match the code.
        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="studio-schedules")
        from studio.auth import forget_tokens_of_saved_user

        post_save.connect(
            forget_tokens_of_saved_user, sender=settings.AUTH_USER_MODEL, dispatch_uid="studio-forget-tokens"
        )
