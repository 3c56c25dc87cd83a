"""The errors a user can get from the studio, with stable machine codes.

The JSON API answers `{"error": {"code", "message", ...}}` with `status`; the LLM tools relay the
same code and message; the pages show the message on the form. One list, so a code means the same
thing everywhere (README: "Error codes").

A failed job, or a provider that cannot take work at submit, is told in the words of USER_MESSAGES
below, chosen by the code alone and never composed from what the provider said: Google's and
Pollinations' answers name GCP resource paths, IAM permissions, our account balance and the
settings an operator should change. That raw text is the error's `detail`: it goes to the log and to
MediaJob.error_detail, which only staff see (the admin's job page).
"""

from __future__ import annotations

import math

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext


class StudioError(Exception):
    """A refusal that costs the user nothing. `extra` carries machine-readable details."""

    def __init__(self, code: str, message: str, *, status: int = 400, **extra) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.extra = extra

    def as_dict(self) -> dict:
        return {"code": self.code, "message": self.message, **self.extra}


# Each user sentence ends by saying what it cost, because the first question after a failure is
# "was I charged?". Codes are stable (clients branch on them); the words may improve. The words are
# translated (gettext_lazy: each is read in the language of the request that reads it); each
# sentence is whole in the catalogue so a translator never joins fragments.
NOT_CHARGED = gettext_lazy("You were not charged.")
USER_MESSAGES = {
    "safety_blocked": gettext_lazy(
        "The safety filters blocked this request or removed everything it made. "
        "Try describing it differently. You were not charged."
    ),
    "provider_rejected": gettext_lazy(
        "This request could not be made as asked. Try a different prompt or settings. You were not charged."
    ),
    # {try_again}: when to try again, from the breaker's reset time if known.
    "provider_unavailable": gettext_lazy(
        "This service is not available right now. {try_again} You were not charged."
    ),
    "price_missing": gettext_lazy(
        "This option has no price set yet, so it cannot be made now. You were not charged."
    ),
    "provider_timeout": gettext_lazy(
        "The service took too long to answer. Try again in a few minutes. You were not charged."
    ),
    "model_unavailable": gettext_lazy(
        "This feature is being upgraded to a newer model; try again later. You were not charged."
    ),
    "provider_failed": gettext_lazy(
        "The service could not finish this job. Try again. You were not charged."
    ),
    "video_timeout": gettext_lazy("The video took too long to render. You were not charged."),
    "worker_lost": gettext_lazy("This job was interrupted on our side. Try again. You were not charged."),
    "internal_error": gettext_lazy("Something went wrong on our side. You were not charged."),
}
# For a code some caller added without a sentence here (a test lists the codes in use).
FALLBACK_MESSAGE = gettext_lazy("This job could not be finished. You were not charged.")


def user_message(code: str, *, retry_after: float | None = None) -> str:
    """The plain sentence for `code`; with `retry_after` (seconds), when to try again."""
    return str(USER_MESSAGES.get(code, FALLBACK_MESSAGE)).format(try_again=_try_again(retry_after))


def _try_again(retry_after: float | None) -> str:
    if retry_after is None:
        return _("Try again in a few minutes.")
    seconds = max(1, math.ceil(retry_after))
    if seconds < 90:
        return ngettext("Try again in %(seconds)d second.", "Try again in %(seconds)d seconds.", seconds) % {
            "seconds": seconds
        }
    return _("Try again in about %(minutes)d minutes.") % {"minutes": round(seconds / 60)}


def job_error_message(job) -> str:
    """The sentence a failed job shows its owner (status answer, job page, command line).

    A known code is worded from USER_MESSAGES even though error_message holds the same sentence:
    jobs that failed before this vocabulary existed stored the provider's raw text there.
    """
    if job.error_code in USER_MESSAGES:
        return user_message(job.error_code)
    return job.error_message or str(FALLBACK_MESSAGE)


def job_error(job) -> dict | None:
    """A failed job's error as the API answers it: {"code", "message"}, or None."""
    if not job.error_code:
        return None
    return {"code": job.error_code, "message": job_error_message(job)}


def provider_unavailable(*, retry_after: float | None = None) -> StudioError:
    """A submit refused because the provider cannot take work (breaker open, misconfigured model).
    Nothing was reserved. The reason belongs in the log, not in this answer."""
    extra = {"retry_after": max(1, math.ceil(retry_after))} if retry_after is not None else {}
    message = user_message("provider_unavailable", retry_after=retry_after)
    return StudioError("provider_unavailable", message, status=503, **extra)


def price_missing() -> StudioError:
    """A submit or quote refused because the model it would use has no price row for the
    request's variant (billing.ModelPrice): the operator's to add in the admin. Nothing was
    reserved. Which model and variant goes to the log, not to this answer."""
    return StudioError("price_missing", user_message("price_missing"), status=503)


def validation_error(message: str, details: list[dict] | None = None) -> StudioError:
    return StudioError("validation_error", message, status=422, details=details or [])


# Whole sentences per thing looked up, so each language words its own noun.
NOT_FOUND = {
    "image": gettext_lazy("No image with that id."),
    "video": gettext_lazy("No video with that id."),
    "image or video": gettext_lazy("No image or video with that id."),
    "job": gettext_lazy("No job with that id."),
    "asset": gettext_lazy("No asset with that id."),
}


def not_found(what: str) -> StudioError:
    message = NOT_FOUND.get(what) or _("No %(what)s with that id.") % {"what": what}
    return StudioError("not_found", str(message), status=404)


def quota_exceeded(refusal) -> StudioError:
    """billing.QuotaExceeded as the user's refusal: what remains, when it resets, the way up."""
    return StudioError(
        "quota_exceeded",
        _("Not enough allowance left: %(refusal)s.") % {"refusal": refusal},
        status=429,
        **refusal.as_dict(),
    )


def upgrade_required(message: str, *, tier: str, upgrade: list[dict]) -> StudioError:
    return StudioError(
        "upgrade_required", message, status=403, tier=tier, upgrade=upgrade, plans_url=reverse("plans")
    )
