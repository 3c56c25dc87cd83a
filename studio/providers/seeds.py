"""Whether the model a request would use honours a seed: the forms say so before submit.

The adapters decide per call (ImageResult.seed_applied, VideoOperation.seed_applied); this is
the same rule, asked ahead of the call from the route the settings pick now.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy

from .base import ConfigurationError, Family, Operation
from .catalog import resolve

# Why a family cannot honour a seed as the studio calls it; families not here honour one.
_NOT_HONOURED = {
    # The studio keeps SynthID on, and Imagen refuses a seed while addWatermark is true, so the
    # adapter leaves it out (vertex-wire-format.md, "Seed vs watermark").
    Family.IMAGEN: gettext_lazy(
        "Imagen can't use a seed while Google's SynthID watermark is on (it always is here), "
        "so results won't repeat."
    ),
    # Veo rewrites the prompt unless enhancePrompt is false, and a seed does not repeat a result
    # then (Veo's parameter reference: seed "not reproducible while enhancePrompt is on"); Google's
    # default is on, and the Video Studio lets the user turn it off.
    Family.VEO: gettext_lazy(
        "Veo rewrites your prompt (prompt enhancement is on), so a seed won't repeat a result."
    ),
}


def seed_note(operation: Operation, *, enhance_prompt: bool | None = None) -> str:
    """Why the model serving `operation` would ignore a seed, or "" when it would honour one.
    `enhance_prompt` is the request's Veo choice (None: Google's default, on)."""
    try:
        family = resolve(operation).family
    except ConfigurationError:
        return ""  # a misconfigured route refuses the submit anyway, with its own message
    if family == Family.VEO and enhance_prompt is False:
        return ""
    return str(_NOT_HONOURED.get(family, ""))
