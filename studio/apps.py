from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate, post_save


class StudioConfig(AppConfig):
    name = "studio"
    verbose_name = "Media Studio"

    def ready(self) -> None:
        from studio import (
            checks,  # noqa: F401  (registers the start-up checks)
            languages,  # noqa: F401  (isiZulu's LANG_INFO; the log-in signal)
        )
        from studio.schedules import ensure_schedules

        # After every migrate: the cluster's schedules exist and match the code.
        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="studio-schedules")
        from django_q.signals import post_spawn

        from billing import admin as billing_admin
        from studio import operations, text
        from studio.auth import forget_tokens_of_saved_user

        # Each queue worker warms up when it starts, not on its first job.
        post_spawn.connect(_warm_worker, dispatch_uid="studio-warm-worker")

        # The cost ledger's operation filter: the operations, and the text calls' purposes.
        billing_admin.LEDGER_OPERATIONS[:] = [*operations.names(), *text.PURPOSES]

        post_save.connect(
            forget_tokens_of_saved_user, sender=settings.AUTH_USER_MODEL, dispatch_uid="studio-forget-tokens"
        )


def _warm_worker(**signal) -> None:
    from studio import worker  # imported in the queue worker only, not by every web process

    worker.warm(**signal)
