"""The registry of operations: one module each, asked by every caller.

    get(name)            the Operation called `name` (KeyError for an unknown one)
    all()                every operation, in the order the tools and the admin list them
    for_job(job)         the operation of a stored MediaJob
    quote(user, name, units, **choices)   the tier gate's JobPlan and the price, no request needed
    price(job_plan, variant)             the quote from the price row of the model that would serve it

To add an operation, see the README's "Adding an operation": its module here (listed in
_MODULES), its schema, its template and its tests.
"""

from __future__ import annotations

import logging
from importlib import import_module

from django.utils.functional import Promise

from studio import errors, providers
from studio.operations.base import Flag, JobPlan, Operation, SlashCommand

__all__ = [
    "Flag",
    "JobPlan",
    "Operation",
    "SlashCommand",
    "all",
    "choices",
    "for_job",
    "get",
    "names",
    "price",
    "quote",
    "route_for",
]

log = logging.getLogger(__name__)

_MODULES = (
    "generate_image",
    "edit_image",
    "compose_image",
    "upscale_image",
    "generate_video",
    "extend_video",
)
_REGISTRY: dict[str, Operation] = {}


def _registry() -> dict[str, Operation]:
    # Filled on first use, not at import: the modules import studio.models, which asks this
    # package for its choices.
    if not _REGISTRY:
        for module in _MODULES:
            operation = import_module(f"studio.operations.{module}").OPERATION
            _REGISTRY[operation.name] = operation
    return _REGISTRY


def get(name: str) -> Operation:
    return _registry()[name]


def all() -> list[Operation]:  # noqa: A001 - the registry's own word, read as operations.all()
    return list(_registry().values())


def for_job(job) -> Operation:
    return get(job.operation)


def names(*, output_kind: str | None = None) -> list[str]:
    """The operations' names, or those whose assets are `output_kind` ("image", "video")."""
    return [op.name for op in all() if output_kind in (None, op.output_kind)]


def choices() -> list[tuple[str, str | Promise]]:
    """(name, label) pairs: MediaJob.operation's choices, so a new operation needs no migration."""
    return [(operation.name, operation.label) for operation in all()]


def quote(user, operation_name: str, units: int, **choices):
    """What `user` would pay for `units` of `operation_name`, without building a request.

    `choices` are the few request fields that change the price or the gate (an operation's
    `price_choices`: upscale_image's `model`, generate_video's `generate_audio` and `fast`, the
    image operations' `image_size`); the others do not matter. Returns (JobPlan,
    billing.pricing.Quote): the plan says which meter pays, how many units and whether the
    output is watermarked (FREE), the quote the price in ZAR cents and USD micro-dollars. Raises
    StudioError(upgrade_required) when the user's plan does not offer it, and the operation's
    model check's error (unsupported_image_size) when the model would not make it, exactly as
    submitting would. Reserves nothing.
    """
    from billing import services as billing

    operation = get(operation_name)
    choices = operation.choices(choices)
    job_plan = operation.admit(billing.plan_for(user), units, **choices)
    route = route_for(job_plan)
    operation.check_model(route.model, choices)
    return job_plan, price(job_plan, operation.price_variant(**choices), route.model_id)


def route_for(job_plan) -> providers.Route:
    """The route the JobPlan's capability resolves to now; StudioError(provider_unavailable) when
    no model setting can serve it (the reason goes to the log)."""
    try:
        return providers.resolve(job_plan.capability)
    except providers.ProviderError as e:
        log.error("cannot serve %s: %s", job_plan.capability, e.detail)
        raise errors.provider_unavailable() from e


def price(job_plan, variant: str, model: str | None = None):
    """The quote for a JobPlan: the price row of `model` (default: the model its capability
    resolves to now) in `variant`. Raises StudioError(provider_unavailable) when no model
    setting can serve it and StudioError(price_missing) when that model has no price for the
    variant (both are the operator's to fix; the reason goes to the log)."""
    from billing import pricing

    if model is None:
        model = route_for(job_plan).model_id
    try:
        return pricing.quote_model(job_plan.price_class, model, variant, job_plan.units, remembered=True)
    except pricing.PriceMissing as e:
        log.error("refused to price %s: %s", job_plan.capability, e)
        raise errors.price_missing() from e
