"""Deleting media and accounts, and the data export (POPIA): what a person can ask us to forget,
and what we hand back.

- delete_asset: one image or video of the owner's, with its file and its thumbnail or poster
  removed from storage. The allowance it used is not given back: the work was done and paid for.
- delete_account: the user's media (files from storage, then the rows), jobs, API tokens,
  idempotency records, email addresses and allowances go; the user row stays as an anonymous,
  inactive tombstone (no username, email, name or usable password) because billing's cost ledger
  and tier-change log must be kept for accounting and point at it (billing.services.forget_user
  says which rows stay). Refused while a job is running: the worker would charge for a job whose
  records are gone.
- export_data: the user's profile, plan, jobs and media list with signed links, as JSON.

Files are removed after the transaction commits, so a failure part way leaves rows and files
together; a file the storage fails to remove is logged with its name, for an operator to remove.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from allauth.account.models import EmailAddress
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import User
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import ngettext

from billing import services as billing
from studio import answers
from studio.errors import not_found
from studio.models import ApiToken, IdempotencyRecord, MediaAsset, MediaJob

log = logging.getLogger(__name__)


class JobsRunning(Exception):
    """The account has jobs still running: it can be deleted once they finish."""

    def __init__(self, count: int) -> None:
        super().__init__(
            ngettext(
                "%(count)s of your jobs is still running. Delete your account once it finishes "
                "(usually within a few minutes).",
                "%(count)s of your jobs are still running. Delete your account once they finish "
                "(usually within a few minutes).",
                count,
            )
            % {"count": count}
        )


def delete_asset(user, asset_id) -> MediaAsset:
    """Delete one of `user`'s assets and its files; another user's (or none) is not_found."""
    asset = MediaAsset.objects.for_user(user).filter(pk=asset_id).first()
    if asset is None:
        raise not_found("image or video")
    names = _stored_names([asset])
    with transaction.atomic():
        asset.delete()  # images made from it keep theirs: `parent` becomes empty
        transaction.on_commit(lambda: remove_files(names))
    return asset


def delete_account(user: User) -> None:
    """Forget `user` (see the module's docstring). Raises JobsRunning while a job is."""
    with transaction.atomic():
        # The user's row lock (the same one submits take): no job starts while we look and delete.
        user = User.objects.select_for_update().get(pk=user.pk)
        running = MediaJob.objects.for_user(user).active().count()
        if running:
            raise JobsRunning(running)
        assets = list(MediaAsset.objects.for_user(user))
        jobs = list(MediaJob.objects.for_user(user).exclude(mask=""))
        names = _stored_names(assets) + [job.mask.name for job in jobs]
        MediaAsset.objects.for_user(user).delete()
        MediaJob.objects.for_user(user).delete()
        ApiToken.objects.filter(user=user).delete()
        IdempotencyRecord.objects.filter(user=user).delete()
        EmailAddress.objects.filter(user=user).delete()
        AccessAttempt.objects.filter(username=user.username).delete()
        AccessFailureLog.objects.filter(username=user.username).delete()
        AccessLog.objects.filter(username=user.username).delete()
        billing.forget_user(user)
        user.username = f"deleted-{uuid.uuid4().hex[:16]}"
        user.email = user.first_name = user.last_name = ""
        user.set_unusable_password()  # also ends the user's sessions everywhere (their hash changes)
        user.is_active = user.is_staff = user.is_superuser = False
        user.save()
        user.groups.clear()
        user.user_permissions.clear()
        transaction.on_commit(lambda: remove_files(names))


def export_data(user: User, *, absolute: Callable[[str], str]) -> dict:
    """Everything we hold about `user` that is theirs to take, for DjangoJSONEncoder (datetimes);
    media links are signed (they work without a session for MEDIA_SIGNED_URL_HOURS)."""
    emails = EmailAddress.objects.filter(user=user).order_by("-primary", "email")
    jobs = MediaJob.objects.for_user(user).order_by("-created_at")
    media = MediaAsset.objects.for_user(user).order_by("-created_at")
    return {
        "exported_at": timezone.now(),
        "profile": {
            "username": user.get_username(),
            "email_addresses": [
                {"email": e.email, "verified": e.verified, "primary": e.primary} for e in emails
            ],
            "joined": user.date_joined,
            "last_login": user.last_login,
            "plan": billing.plan_for(user).code,
        },
        "jobs": [{**answers.status(job), "params": job.params} for job in jobs],
        "media": [
            {
                **answers.asset(item, absolute=absolute),
                "origin": item.origin,
                "created_at": item.created_at.isoformat(),
            }
            for item in media
        ],
        "api_tokens": [
            {
                "name": t.name,
                "hint": t.hint,
                "created_at": t.created_at,
                "last_used_at": t.last_used_at,
                "revoked_at": t.revoked_at,
            }
            for t in ApiToken.objects.filter(user=user).order_by("created_at")
        ],
    }


def _stored_names(assets) -> list[str]:
    return [field.name for asset in assets for field in (asset.file, asset.thumbnail) if field]


def remove_files(names: list[str]) -> None:
    """Remove stored files by name (local disk or the GCS bucket); one that fails is logged."""
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:
            log.exception("could not remove %s from storage: remove it by hand", name)
