"""The studio forms' one pipeline; each page (create, edit, upscale, video) configures a StudioForm.

    form.values(data)                  the raw values, as typed, with the defaults for missing ones
    form.estimate(user, values)        the live estimate: the price from operations.quote() and what
                                       would be left, or the first problem the form has so far
    form.context(request, values, ...) what every form's template needs (key, errors, refusal, ...)
    form.post(request, values, ...)    validate, submit once, or the form again with its errors

Validation is the operation's schema (studio/schemas.py), the same as the API's; errors are worded
by studio/messages.py; the submit is common.submit_once, under the form's one-time key. The
templates share the partials studio/_field.html and studio/_refusal.html.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django_htmx.http import trigger_client_event
from pydantic import BaseModel, ValidationError

from billing import services as billing
from studio import messages, operations, providers, schemas
from studio.errors import StudioError
from studio.models import MediaJob
from studio.pages import common
from studio.pages.common import PageRequest
from studio.pages.tray import JOBS_CHANGED

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Problems that only say the form is not finished yet (no prompt, no mask painted): the estimate
# prices the form before they are fixed.
NOT_YET = frozenset(
    {
        "missing",
        "string_too_short",
        schemas.EDIT_NEEDS_PROMPT,
        schemas.EDIT_NEEDS_MASK,
        schemas.VIDEO_NEEDS_PROMPT_OR_FRAME,
        schemas.LAST_FRAME_NEEDS_FIRST,
        schemas.REFERENCES_NEED_PROMPT,
    }
)
# The seed field's hint when the model honours a seed.
# Lazy, so it reads in the request's language (a str to callers: templates and `or` use it as one).
SEED_HINT = cast(str, gettext_lazy("Empty for a random seed; the same seed and settings repeat a result."))
_TRUE = ("true", "1", "on", "yes")
_FALSE = ("false", "0", "off", "no", "")

# Renders the form again: render(values, errors=..., failure=..., key=...) -> HttpResponse.
Render = Callable[..., HttpResponse]


@dataclass(frozen=True)
class StudioForm:
    operation: str  # the registry's name (studio/operations/)
    defaults: dict[str, str]
    # The schema's request from the form's values; raises pydantic's ValidationError.
    build: Callable[[dict[str, str]], BaseModel]
    # The units and price choices of a form whose priced fields are valid (operations.quote).
    price: Callable[[dict[str, str]], tuple[int, dict]]
    labels: Mapping[str, StrOrPromise] = field(default_factory=dict)  # the estimate names a problem's field
    # The fields whose problems the estimate reports (None: all); the others cannot change it.
    estimate_fields: tuple[str, ...] | None = None
    booleans: tuple[str, ...] = ()  # read as "true"/"false" from a checkbox, a radio or JSON
    # Form field names that differ from the schema's ({"image_id": "image"}): errors go to the form's.
    renamed: dict[str, str] = field(default_factory=dict)
    # This form's URL filled in with a job's settings: the failed card's "Try again" (common.again_url).
    again: Callable[[MediaJob], str] | None = None

    def __post_init__(self) -> None:
        if self.again is not None:
            common.AGAIN_URLS[self.operation] = self.again

    def values(self, data) -> dict[str, str]:
        """The form's raw values (as typed, for re-display), with the defaults for missing ones.

        Booleans come out as "true"/"false" whether they arrive from a checkbox, a radio or a
        job's JSON params (True/False), so a job's settings go back into the form as they were.
        """
        values = {}
        for name, default in self.defaults.items():
            value = data.get(name)
            values[name] = default if value is None or value == "" else str(value)
        for name in self.booleans:
            flag = values[name].strip().lower()
            values[name] = "true" if flag in _TRUE else "false" if flag in _FALSE else values[name]
        return values

    def estimate(self, user, values: dict[str, str]) -> dict:
        """The price of the form as it stands and what would be left, or {"problem": ...}: the
        first problem with the fields the estimate depends on, before any 'not written yet'."""
        try:
            self.build(values)
        except ValidationError as e:
            for item in e.errors(include_url=False):
                field_name, words = messages.form_error(item)
                if item["type"] in NOT_YET or not self._reports(item):
                    continue
                label = self.labels.get(self.renamed.get(field_name, field_name))
                return {"problem": f"{label}: {words}" if label else words}
        units, choices = self.price(values)
        return quote_estimate(user, self.operation, units, **choices)

    def _reports(self, item: Mapping[str, Any]) -> bool:
        return self.estimate_fields is None or bool(item["loc"]) and item["loc"][0] in self.estimate_fields

    def context(
        self,
        request: PageRequest,
        values: dict[str, str],
        *,
        errors: dict[str, str] | None = None,
        failure: dict | None = None,
        key: str | None = None,
        estimate: dict | None = None,
    ) -> dict:
        """What every form's template needs; a new idempotency key unless `key` is kept. A page
        whose estimate says more passes its own `estimate`."""
        return {
            "plan": billing.plan_for(request.user),
            "values": values,
            "errors": errors or {},
            "failure": failure,
            "idempotency_key": key or uuid.uuid4(),
            "prompt_max": schemas.PROMPT_MAX_CHARS,
            "negative_max": schemas.NEGATIVE_PROMPT_MAX_CHARS,
            "seed_max": schemas.MAX_SEED,
            "seed_hint": self.seed_note(request.user) or str(SEED_HINT),
            "estimate": estimate if estimate is not None else self.estimate(request.user, values),
        }

    def seed_note(self, user) -> str:
        """Why the model this form's request would use ignores a seed ("" if it honours one).
        Every choice a form offers keeps the model family (Veo or Veo Fast), so the defaults do."""
        operation = operations.get(self.operation)
        try:
            job_plan = operation.admit(billing.plan_for(user), 1, **operation.price_choices)
        except StudioError:
            return ""  # the plan cannot submit this form at all; the form says so instead
        return providers.seed_note(job_plan.capability)

    def post(
        self,
        request: PageRequest,
        values: dict[str, str],
        render: Render,
        *,
        errors: dict[str, str] | None = None,
        check: Callable[[Any], dict[str, str]] | None = None,
        beside_fields: dict[str, tuple[str, str]] | None = None,
    ) -> MediaJob | HttpResponse:
        """The POST of a form: the job it submitted, or the form again (status 200, so htmx swaps
        it) with field errors or the refusal. Nothing is reserved unless a job is returned.

        `errors` are problems found before validation (an upload that failed); `check(params)`
        finds more after it (frames that are not the user's own); `beside_fields` puts a refusal
        code next to a field instead of at the top: {code: (field, words or "" for its own)}.
        """
        posted_key = request.POST.get("idempotency_key", "")
        errors = dict(errors or {})
        try:
            params = self.build(values)
        except ValidationError as e:
            found = {self.renamed.get(name, name): words for name, words in messages.form_errors(e).items()}
            errors = {**found, **errors}
        else:
            for name, words in (check(params) if check else {}).items():
                errors.setdefault(name, words)
        if errors:
            return render(values, errors=errors, key=posted_key)
        try:
            return common.submit_once(request, self.operation, params, posted_key)
        except StudioError as e:
            keep = None if e.code in common.STALE_KEY_CODES else posted_key
            if beside_fields and e.code in beside_fields:
                field_name, words = beside_fields[e.code]
                return render(values, errors={field_name: words or e.message}, key=keep)
            return render(values, failure=common.failure(e), key=keep)


def quote_estimate(user, operation: str, units: int, **choices) -> dict:
    """What `units` of `operation` would cost `user` and what would be left of the allowance:
    {quote, units, free, balance, after, period, upgrade when short}; {problem, upgrade} when the
    plan does not offer it. Prices come from operations.quote(): no request is built."""
    try:
        job_plan, quote = operations.quote(user, operation, units, **choices)
    except StudioError as e:
        return {"problem": e.message, "upgrade": e.extra.get("upgrade") or []}
    balance = next((b for b in billing.remaining(user) if b.meter == job_plan.meter), None)
    estimate = {
        "quote": quote,
        "units": job_plan.units,
        "meter": job_plan.meter,
        "free": job_plan.watermark,
        "balance": balance,
    }
    if balance is not None:
        estimate["after"] = balance.remaining - job_plan.units
        estimate["period"] = common.period_words(balance.period)
        if estimate["after"] < 0:
            estimate["upgrade"] = billing.upgrade_options(
                billing.plan_for(user), job_plan.meter, job_plan.units
            )
    return estimate


def counts(most: int) -> list[tuple[str, bool]]:
    """The count choices 1 to MAX_COUNT, each with whether it is above what the plan allows."""
    return [(str(n), n > most) for n in range(1, schemas.MAX_COUNT + 1)]


def submitted(
    request: PageRequest, job: MediaJob, template: str, context: Callable[[], dict]
) -> HttpResponse:
    """The answer to an accepted form: without htmx, the job's own page; with htmx, the page's
    #submitted partial (a fresh form with a new key and the same settings, to iterate on, and the
    new job's card, which polls itself) and a nudge that wakes the header's jobs tray."""
    if not request.htmx:
        return redirect("job-detail", job_id=job.id)
    page = {**context(), "card": common.job_card(job)}
    return trigger_client_event(render(request, f"{template}#submitted", page), JOBS_CHANGED)
