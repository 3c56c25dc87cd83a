"""The Create and Compose tabs' shared choices: the aspect ratios and sizes of the model the
user's request would use, each size with its price per image and, where the plan lacks it, why
and the way up; and the file types. The rules are studio/operations/image_options.py's; this only
lays them out for a form (README: "Image sizes, ratios and formats")."""

from __future__ import annotations

import logging

from django.utils.translation import gettext

from billing import services as billing
from billing.models import Meter, PriceClass
from studio import operations, providers
from studio.errors import StudioError
from studio.operations import JobPlan
from studio.operations.image_options import SIZE_WORDS, plan_sizes
from studio.schemas import IMAGE_ASPECT_RATIOS, IMAGE_SIZES, OUTPUT_FORMATS

log = logging.getLogger(__name__)

FORMAT_LABELS = {"png": "PNG", "jpeg": "JPEG", "webp": "WebP"}
# The model check's refusals go beside the field they are about (StudioForm.post), in their words.
BESIDE_FIELDS = {
    "unsupported_aspect_ratio": ("aspect_ratio", ""),
    "unsupported_image_size": ("image_size", ""),
    "too_many_images": ("image_ids", ""),
}


def _model(capability: providers.Operation):
    """The catalog entry of the model serving `capability` now, or None when none can."""
    try:
        return providers.resolve(capability).model
    except providers.ProviderError as e:
        log.error("no model for %s: %s", capability, e.detail)
        return None


def serving_model(user, operation: str):
    """The model the user's request of `operation` would go to (FREE's preview is Pollinations)."""
    op = operations.get(operation)
    try:
        job_plan = op.admit(billing.plan_for(user), 1, **op.price_choices)
    except StudioError:
        return None
    return _model(job_plan.capability)


def ratio_choices(model) -> list[tuple[str, str]]:
    """(ratio, its icon's CSS ratio) for each ratio the model makes, in the studio's order."""
    offered = model.aspect_ratios if model is not None and model.aspect_ratios else IMAGE_ASPECT_RATIOS
    return [(ratio, ratio.replace(":", "/")) for ratio in IMAGE_ASPECT_RATIOS if ratio in offered]


def size_choices(user, operation: str, capability: providers.Operation) -> list[dict]:
    """Each size the paid model (`capability`'s) makes, with its price per image, and whether
    the user's plan and the model serving it may make it; for a size the plan lacks, the plans
    that have it. FREE sees the paid model's sizes and prices, disabled above its 1K."""
    plan = billing.plan_for(user)
    paid = _model(capability)
    serving = serving_model(user, operation)
    if paid is None:
        return []
    higher = billing.upgrade_plans(plan)
    choices = []
    for size in IMAGE_SIZES:
        if size not in paid.image_sizes:
            continue
        allowed = size in plan_sizes(plan) and serving is not None and size in serving.image_sizes
        try:
            if allowed:
                _, quote = operations.quote(user, operation, 1, image_size=size)
            else:  # what it costs on the plans that have it (the paid model's price row)
                job_plan = JobPlan(capability, Meter.IMAGES, 1, PriceClass.IMAGE)
                quote = operations.price(job_plan, size, paid.model_id)
        except StudioError:
            quote, allowed = None, False  # no price row for it: shown, disabled, not a 500
        offering = [] if allowed else [p for p in higher if size in plan_sizes(p)]
        reason = ""
        if not allowed:
            plans = gettext(" and ").join(p.code for p in offering)
            reason = (
                gettext("%(size)s is on %(plans)s") % {"size": size, "plans": plans}
                if offering and quote
                else ""
            )
            reason = reason or gettext("%(size)s is not available right now") % {"size": size}
        choices.append(
            {
                "value": size,
                "label": SIZE_WORDS[size],
                "quote": quote,
                "allowed": allowed,
                "upgrade": offering,
                "reason": reason,
            }
        )
    return choices


def format_choices() -> list[tuple[str, str]]:
    return [(name, FORMAT_LABELS[name]) for name in OUTPUT_FORMATS]
